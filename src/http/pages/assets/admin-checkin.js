/* convene dashboard — the door (check-in) and the caterer's counts.

   Check-in: the event's registrations are loaded once and searched as you type, with
   who has arrived (GET /check-ins, refreshed every few seconds so that several desks see
   each other's check-ins). A desk checks in by registration (a button beside the name),
   by the code typed from under the QR code (Enter), or by scanning the QR code with the
   camera where the browser has BarcodeDetector. Nothing is loaded from elsewhere. */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;
  var REFRESH_MS = 10000;
  var MAX_SHOWN = 25;

  /** "9:12 AM": the time of a check-in, in the desk's own time zone. */
  function clock(rfc3339) {
    var d = new Date(rfc3339);
    if (isNaN(d.getTime())) return String(rfc3339 || '');
    return new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit' }).format(d);
  }

  /** Lower case without accents, for matching names as people type them. */
  function fold(s) {
    return String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim();
  }

  /** Whether what was typed could be a check-in code: 8 to 64 letters and digits, spaces
      and dashes aside. Not "has a digit": a code is 12 characters of Crockford base32, and
      about one in ninety has no digit at all (22 letters of 32, twelve times). Whether it
      is a name is told by the roster (see matching). */
  function looksLikeCode(text) {
    var t = text.replace(/[\s-]/g, '');
    return t.length >= 8 && t.length <= 64 && /^[0-9A-Za-z]+$/.test(t);
  }

  A.register('check-in', function () {
    var roster = [];              // registrations of the event
    var arrived = {};             // registration id -> check-in
    var input = C.byId('checkin-search');
    var lastCheckedIn = null;     // the registration id the result panel may undo

    function loadArrivals() {
      return A.api('GET', A.eventPath('/check-ins')).then(function (res) {
        if (res.status !== 200 || !res.data) return res;
        arrived = {};
        (res.data.check_ins || []).forEach(function (c) {
          if (c && c.registration) arrived[c.registration.id] = c;
        });
        C.byId('checkin-arrived').textContent = A.number(res.data.arrived);
        C.byId('checkin-expected').textContent = A.number(res.data.expected);
        return res;
      });
    }

    function load() {
      return Promise.all([A.all(A.eventPath('/registrations')), loadArrivals()]).then(function (answers) {
        var regs = answers[0];
        if (regs.status !== 200 || !regs.data) return A.fail(regs, 'event');
        if (answers[1].status !== 200) return A.fail(answers[1], 'event');
        roster = regs.data.items || [];
        roster.forEach(function (r) { r._key = fold(r.full_name); });
        showMatches();
        return null;
      });
    }

    /** Why a registration cannot be checked in, or '' if it can. */
    function whyNot(r) {
      var c = arrived[r.id];
      if (c) return 'Already in at ' + clock(c.checked_in_at) + (c.checked_in_by && c.checked_in_by.name ? ' by ' + c.checked_in_by.name : '') + '.';
      if (r.status === 'cancelled') return 'Cancelled their registration.';
      if (r.status === 'waitlisted') return 'On the waiting list: no seat.';
      return '';
    }

    function about(r) {
      return [r.title, A.community(r.community)].filter(Boolean).join(' · ');
    }

    /** The registrations whose names hold every word typed. */
    function matching(text) {
      var q = fold(text);
      if (!q) return [];
      var words = q.split(/\s+/);
      return roster.filter(function (r) {
        return words.every(function (w) { return r._key.indexOf(w) !== -1; });
      });
    }

    function showMatches() {
      var list = C.byId('checkin-matches');
      list.textContent = '';
      var count = C.byId('checkin-count');
      if (!fold(input.value)) { count.textContent = ''; return; }
      var found = matching(input.value);
      // Those who can still be checked in first, then by name.
      found.sort(function (a, b) {
        return (whyNot(a) ? 1 : 0) - (whyNot(b) ? 1 : 0) || a._key.localeCompare(b._key);
      });
      count.textContent = found.length === 0
        ? (looksLikeCode(input.value) ? 'No one by that name. If it is the code under their QR code, press Enter.' : 'No one by that name.')
        : A.plural(found.length, 'person', 'people') + ' found' + (found.length > MAX_SHOWN ? '; the first ' + MAX_SHOWN + ' shown. Type more of the name.' : '.');
      found.slice(0, MAX_SHOWN).forEach(function (r) { list.appendChild(row(r)); });
    }

    function row(r) {
      var why = whyNot(r);
      var children = [
        A.el('p', { className: 'checkin__match-name', text: r.full_name }),
        A.el('p', { className: 'checkin__match-about', text: about(r) }),
        r.kind === 'young_leader' ? A.tag('young_leader') : null
      ];
      if (why) children.push(A.el('p', { className: 'checkin__match-why', text: why }));
      var actions = A.el('div', { className: 'checkin__match-actions' });
      if (arrived[r.id]) {
        var undoButton = A.el('button', { type: 'button', className: 'button button--secondary button--small' }, ['Undo', A.el('span', { className: 'visually-hidden', text: ' the check-in of ' + r.full_name })]);
        undoButton.addEventListener('click', C.guard(undoButton, function () { return undo(r.id, r.full_name); }));
        actions.appendChild(undoButton);
      } else if (!why) {
        var go = A.el('button', { type: 'button', className: 'button' }, ['Check in', A.el('span', { className: 'visually-hidden', text: ' ' + r.full_name })]);
        go.addEventListener('click', C.guard(go, function () { return checkIn({ registration_id: r.id }); }));
        actions.appendChild(go);
      }
      children.push(actions);
      return A.el('li', { className: 'checkin__match' + (why ? ' checkin__match--no' : '') }, children);
    }

    /** The big answer at the top: who it is, and whether they are in. */
    function result(kind, verdict, person, why) {
      var box = C.byId('checkin-result');
      box.className = 'checkin__result checkin__result--' + kind;
      C.byId('checkin-verdict').textContent = verdict;
      C.byId('checkin-name').textContent = person ? person.full_name : '';
      var aboutText = person ? about(person) : '';
      if (person && person.kind === 'young_leader') aboutText += (aboutText ? ' · ' : '') + 'Young leader';
      C.byId('checkin-about').textContent = aboutText;
      C.byId('checkin-why').textContent = why || '';
      C.byId('checkin-undo').hidden = kind !== 'ok';
      box.hidden = false;
      box.focus({ preventScroll: false });
    }

    /** The registration a refusal is about, when the desk can tell from what it sent. */
    function personOf(body) {
      if (body.registration_id) return roster.filter(function (r) { return r.id === body.registration_id; })[0] || null;
      return null;
    }

    function checkIn(body) {
      return A.api('POST', A.eventPath('/check-ins'), body).then(function (res) {
        if (res.status === 201 && res.data) {
          lastCheckedIn = res.data.registration;
          result('ok', 'Checked in', res.data.registration, 'Welcome them in.');
        } else if (res.status === 409) {
          var detail = C.problemDetail(res.data);
          var kind = /already checked in/i.test(detail) ? 'already' : 'no';
          result(kind, kind === 'already' ? 'Already checked in' : 'Not expected', personOf(body), detail);
        } else if (res.status === 404) {
          result('no', 'Unknown', personOf(body), body.code
            ? 'No registration of this event has this code. Search by name instead.'
            : 'This registration is not part of this event.');
        } else if (res.status === 422) {
          result('no', 'Not a code', null, 'Type a name, or the code under the QR code.');
        } else {
          result('no', 'Not checked in', personOf(body), A.failure(res, 'registration'));
        }
        // Ready for the next person: a scanned or typed code is not a name to search.
        if (body.code) input.value = '';
        return loadArrivals().then(showMatches);
      });
    }

    function undo(id, name) {
      return A.api('DELETE', A.eventPath('/check-ins/' + encodeURIComponent(id))).then(function (res) {
        if (res.status === 204) {
          result('undone', 'Check-in undone', lastCheckedIn && lastCheckedIn.id === id ? lastCheckedIn : personOf({ registration_id: id }), (name || 'They') + ' can be checked in again.');
          lastCheckedIn = null;
        } else {
          A.notify(A.failure(res, 'check-in'));
        }
        return loadArrivals().then(showMatches);
      });
    }

    input.addEventListener('input', showMatches);
    C.byId('checkin-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      // A name that matches someone is searched, not sent as a code.
      if (looksLikeCode(text) && matching(text).length === 0) checkIn({ code: text });
    });
    var undoButton = C.byId('checkin-undo');
    undoButton.addEventListener('click', C.guard(undoButton, function () {
      return lastCheckedIn ? undo(lastCheckedIn.id, lastCheckedIn.full_name) : Promise.resolve();
    }));

    setUpCamera(function (code) { return checkIn({ code: code }); });
    window.setInterval(function () {
      if (!document.hidden) loadArrivals().then(showMatches);
    }, REFRESH_MS);
    return load();
  });

  /** The camera reader, where the browser can read QR codes itself (BarcodeDetector). */
  function setUpCamera(onCode) {
    var scan = C.byId('checkin-scan');
    if (!('BarcodeDetector' in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    var detector;
    try {
      detector = new window.BarcodeDetector({ formats: ['qr_code'] });
    } catch (e) {
      return;
    }
    var panel = C.byId('checkin-camera');
    var video = C.byId('checkin-video');
    var hint = C.byId('checkin-camera-hint');
    var stream = null;
    var timer = null;
    var busy = false;
    scan.hidden = false;

    function stop() {
      if (timer) window.clearInterval(timer);
      timer = null;
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      video.srcObject = null;
      panel.hidden = true;
      scan.hidden = false;
    }

    function look() {
      if (busy || !stream || video.readyState < 2) return;
      busy = true;
      detector.detect(video).then(function (codes) {
        var code = codes && codes[0] && codes[0].rawValue;
        if (!code) return null;
        stop();
        return onCode(code);
      }).catch(function () { return null; }).then(function () { busy = false; });
    }

    scan.addEventListener('click', function () {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false }).then(function (s) {
        stream = s;
        video.srcObject = s;
        panel.hidden = false;
        scan.hidden = true;
        hint.textContent = 'Point the camera at the QR code on the registrant’s phone or printout.';
        return video.play();
      }).then(function () {
        timer = window.setInterval(look, 250);
      }).catch(function () {
        stop();
        A.notify('The camera could not be used. Allow this site to use the camera, or search by name.');
      });
    });
    C.byId('checkin-camera-stop').addEventListener('click', stop);
    document.addEventListener('visibilitychange', function () { if (document.hidden) stop(); });
  }

  A.register('catering', function () {
    return A.api('GET', A.eventPath('/catering')).then(function (res) {
      if (res.status !== 200 || !res.data) return A.fail(res, 'event');
      var d = res.data;
      C.byId('catering-confirmed').textContent = A.number(d.confirmed);
      [
        ['dietary-table', 'dietary-empty', d.dietary || [], 'Requirement', 'requirement'],
        ['accessibility-table', 'accessibility-empty', d.accessibility || [], 'Need', 'need']
      ].forEach(function (t) {
        A.table(C.byId(t[0]), [
          { label: t[3], className: 'table__text', cell: function (n) { return n[t[4]]; } },
          { label: 'People', numeric: true, cell: function (n) { return A.number(n.count); } }
        ], t[2]);
        C.byId(t[1]).hidden = t[2].length > 0;
        C.byId(t[0]).closest('.table-wrap').hidden = t[2].length === 0;
      });
      return null;
    });
  });
}());
