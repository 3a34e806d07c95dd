/* convene — the organizer dashboard's frame and helpers (window.ConveneAdmin), on top of
   common.js (window.Convene). Every page is a client of the JSON API: this script asks
   who is signed in, sends anyone else to the sign-in page, shows the organizer and the
   controls their role allows, loads the event of an event's page, and then runs the
   page's own script (registered with A.register). Text from the API is written with
   textContent only. */
(function () {
  'use strict';

  var C = window.Convene;
  var A = {};
  var pages = {};
  var header = document.querySelector('.admin-header');

  A.page = header ? header.getAttribute('data-page') : '';
  A.slug = header ? header.getAttribute('data-slug') || '' : '';
  A.me = null;
  A.event = null;
  A.isAdmin = false;

  /** Pages that only admins may use; reviewers see a short explanation instead. */
  var ADMIN_PAGES = { 'event-form': true, organizers: true, audit: true };

  /** A page script registers its start function: fn(event) returning a promise. */
  A.register = function (name, fn) { pages[name] = fn; };

  A.eventPath = function (suffix) {
    return '/events/' + encodeURIComponent(A.slug) + (suffix || '');
  };

  A.adminPath = function (suffix) {
    return '/admin/events/' + encodeURIComponent(A.slug) + (suffix || '');
  };

  /* ---------- the API ---------- */

  function toSignIn() {
    var here = window.location.pathname + window.location.search;
    window.location.replace('/admin/sign-in?next=' + encodeURIComponent(here));
    // The page is going away: leave whatever waited on this pending.
    return new Promise(function () {});
  }

  /** Calls `/api/v1{path}`; a 401 (the session ended) goes to the sign-in page. */
  A.api = function (method, path, body, headers) {
    return C.api(method, '/api/v1' + path, body, headers).then(function (res) {
      return res.status === 401 ? toSignIn() : res;
    });
  };

  /** Sends a text body (CSV) instead of JSON. Same answer shape as C.api. */
  A.apiText = function (method, path, text, contentType) {
    return fetch('/api/v1' + path, {
      method: method,
      headers: { Accept: 'application/json, application/problem+json', 'Content-Type': contentType },
      credentials: 'same-origin',
      cache: 'no-store',
      body: text
    }).then(function (res) {
      if (res.status === 401) return toSignIn();
      return res.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
        return { status: res.status, data: data };
      });
    }, function () { return { status: 0, data: null }; });
  };

  /** Every page of a list (the API gives at most 500 at a time). */
  A.all = function (path, params) {
    var items = [];
    function next(offset) {
      var q = new URLSearchParams(params || {});
      q.set('limit', '500');
      q.set('offset', String(offset));
      return A.api('GET', path + '?' + q.toString()).then(function (res) {
        if (res.status !== 200 || !res.data) return res;
        var got = Array.isArray(res.data.items) ? res.data.items : [];
        items = items.concat(got);
        var total = typeof res.data.total === 'number' ? res.data.total : items.length;
        if (got.length === 500 && items.length < total && offset < 20000) return next(offset + 500);
        return { status: 200, data: Object.assign({}, res.data, { items: items }) };
      });
    }
    return next(0);
  };

  /** What to tell an organizer when a request failed and no field explains it. */
  A.failure = function (res, what) {
    var detail = C.problemDetail(res.data);
    // The API's details are phrases ("this request is already approved"): make sentences.
    if (detail) detail = C.capitalise(detail) + (/[.!?)]$/.test(detail) ? '' : '.');
    switch (res.status) {
      case 0: return 'We could not reach the service. Check your connection and try again.';
      case 403: return detail || 'Your role does not allow this. Ask an admin.';
      case 404: return 'This ' + (what || 'record') + ' no longer exists. Reload the page.';
      case 409:
        if (!detail) return 'This cannot be done now: the ' + (what || 'record') + ' has changed. Reload the page to see where it stands.';
        return detail + (/already|someone else/i.test(detail) ? ' Reload the page to see where it stands.' : '');
      case 413: return detail || 'That is too much to send at once. Send it in smaller parts.';
      case 415: return detail || 'The service could not read what was sent.';
      case 422: return detail || 'Some of what was sent is not valid.';
      // The detail says the true wait ("try again in 15 minutes").
      case 429: return detail || 'Too many attempts. Wait a little, then try again.';
      default: return 'Sorry, something went wrong on our side (' + (res.status || 'no answer') + '). Try again in a few minutes.';
    }
  };

  /* ---------- page states and messages ---------- */

  var stateShown = false;

  A.showPage = function () {
    stateShown = true;
    C.showState('page');
  };

  /** Shows the whole-page error for an answer that leaves nothing to show. */
  A.fail = function (res, what) {
    stateShown = true;
    if (res && res.status === 404) {
      if (what) C.setText('#state-not-found-detail', 'We cannot find this ' + what + '. It may have been removed, or the address may be wrong.');
      C.showState('state-not-found', 'Not found');
    } else if (res && res.status === 403) {
      C.showState('state-forbidden', 'Admins only');
    } else {
      C.showState('state-error', 'Sorry, there is a problem');
    }
  };

  /** A message at the top of the page, announced, with focus moved to it. */
  A.notify = function (text, keepFocus) {
    var box = C.byId('flash');
    if (!box) return;
    C.byId('flash-text').textContent = text;
    box.hidden = false;
    if (!keepFocus) {
      box.scrollIntoView({ block: 'start' });
      box.focus({ preventScroll: true });
    }
  };

  A.clearNotice = function () {
    var box = C.byId('flash');
    if (box) box.hidden = true;
  };

  /** A message for the next page (after a redirect). */
  A.flash = function (text) {
    try { window.sessionStorage.setItem('convene-flash', text); } catch (e) { /* private mode */ }
  };

  function showFlash() {
    var text = null;
    try {
      text = window.sessionStorage.getItem('convene-flash');
      window.sessionStorage.removeItem('convene-flash');
    } catch (e) { text = null; }
    if (text) A.notify(text, true);
  }

  /* ---------- formatting ---------- */

  var MOMENT = { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' };

  /** "Nov 23, 2026, 5:04 PM" in the organizer's own time zone. */
  A.moment = function (rfc3339) {
    if (!rfc3339) return '';
    var d = new Date(rfc3339);
    if (isNaN(d.getTime())) return String(rfc3339);
    return new Intl.DateTimeFormat('en-US', MOMENT).format(d);
  };

  /** Shorter, for tables: "Nov 23, 5:04 PM" this year, "Nov 23, 2027" otherwise. */
  A.when = function (rfc3339) {
    if (!rfc3339) return '';
    var d = new Date(rfc3339);
    if (isNaN(d.getTime())) return String(rfc3339);
    var thisYear = d.getFullYear() === new Date().getFullYear();
    return new Intl.DateTimeFormat('en-US', thisYear
      ? { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }
      : { month: 'short', day: 'numeric', year: 'numeric' }).format(d);
  };

  A.shortDay = function (iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso || ''));
    if (!m) return String(iso || '');
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' }).format(d);
  };

  /* ---------- times in the event's time zone ---------- */

  /** How far the wall clock in `timeZone` is ahead of UTC at `utcMs` (ms). Throws a
      RangeError for an unknown zone. */
  A.zoneOffset = function (timeZone, utcMs) {
    var f = new Intl.DateTimeFormat('en-US', {
      timeZone: timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit'
    });
    var p = {};
    f.formatToParts(new Date(utcMs)).forEach(function (x) { p[x.type] = x.value; });
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second) - utcMs;
  };

  /** "2027-04-30T17:00" on the wall in `timeZone` -> "2027-04-30T21:00:00Z". */
  A.wallToUtc = function (wall, timeZone) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(wall);
    if (!m) return null;
    var guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    var utc = guess - A.zoneOffset(timeZone, guess);
    // Near a change of clocks the offset at the answer may differ from the first guess.
    utc = guess - A.zoneOffset(timeZone, utc);
    return new Date(utc).toISOString().replace(/\.\d{3}Z$/, 'Z');
  };

  /** The reverse, for filling a form: "2027-04-30T21:00:00Z" -> "2027-04-30T17:00". */
  A.utcToWall = function (rfc3339, timeZone) {
    var ms = Date.parse(rfc3339 || '');
    if (isNaN(ms)) return '';
    try {
      return new Date(ms + A.zoneOffset(timeZone, ms)).toISOString().slice(0, 16);
    } catch (e) {
      return new Date(ms).toISOString().slice(0, 16);
    }
  };

  A.money = function (cents, currency) {
    return typeof cents === 'number' ? C.formatMoney(cents, currency || (A.event && A.event.currency)) : '';
  };

  A.number = function (n) {
    return typeof n === 'number' && isFinite(n) ? new Intl.NumberFormat('en-US').format(n) : '–';
  };

  A.community = function (c) {
    if (!c) return '';
    return [c.name, c.state].filter(Boolean).join(', ') + (c.country && c.country !== 'US' ? ' (' + c.country + ')' : '');
  };

  A.plural = function (n, one, many) {
    return A.number(n) + ' ' + (n === 1 ? one : (many || one + 's'));
  };

  var COLOURS = {
    confirmed: 'green', approved: 'green', accepted: 'green', sent: 'blue', open: 'green',
    waitlisted: 'yellow', pending: 'yellow', offered: 'yellow', draft: 'grey',
    declined: 'red', failed: 'red', bounced: 'red', revoked: 'red', cancelled: 'grey', expired: 'grey',
    withdrawn: 'grey', closed: 'grey', archived: 'grey', disabled: 'grey', lapsed: 'grey', released: 'grey'
  };

  var WORDS = {
    waitlisted: 'On the waiting list', sent: 'Sent', pending: 'Pending', young_leader: 'Young leader',
    executive: 'Executive'
  };

  /** What became of an approved scholarship, from the registrant's side. */
  A.awardWords = function (s) {
    return {
      offered: 'Offered, not answered yet',
      accepted: 'Accepted',
      declined: 'Turned down; the amount went back to the budget',
      lapsed: 'Not answered in time; the amount went back to the budget',
      released: 'Released; the amount went back to the budget'
    }[s] || A.words(s);
  };

  A.words = function (s) {
    s = String(s || '');
    return WORDS[s] || C.capitalise(s.replace(/_/g, ' '));
  };

  /** A coloured tag for a status. */
  A.tag = function (status, text) {
    return C.tag(text || A.words(status), COLOURS[status] || 'grey');
  };

  /* ---------- building the page ---------- */

  /** Creates an element: A.el('a', {href: '/x', className: 'link'}, 'text' or [children]). */
  A.el = function (name, props, children) {
    var el = document.createElement(name);
    Object.keys(props || {}).forEach(function (k) {
      var v = props[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'className') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'hidden') el.hidden = !!v;
      else if (k.indexOf('on') === 0 && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    });
    A.append(el, children);
    return el;
  };

  A.append = function (el, children) {
    if (children === undefined || children === null) return el;
    (Array.isArray(children) ? children : [children]).forEach(function (c) {
      if (c === undefined || c === null || c === false) return;
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    });
    return el;
  };

  /** Fills a table from `rows`. Each column: {label, cell(row) -> text|Node|[...],
      className, sort(row) -> comparable}. With `opts.sortable`, column headings with a
      `sort` become buttons that sort the rows shown (aria-sort tells which). */
  A.table = function (table, columns, rows, opts) {
    opts = opts || {};
    var state = { index: opts.sortIndex === undefined ? -1 : opts.sortIndex, dir: opts.sortDir || 'ascending' };
    var thead = table.querySelector('thead');
    var tbody = table.querySelector('tbody');

    function head() {
      thead.textContent = '';
      var tr = A.el('tr');
      columns.forEach(function (col, i) {
        var th = A.el('th', { scope: 'col', className: col.numeric ? 'table__number' : null });
        if (opts.sortable && col.sort) {
          if (state.index === i) th.setAttribute('aria-sort', state.dir);
          var arrow = state.index === i ? (state.dir === 'ascending' ? '▲' : '▼') : '';
          th.appendChild(A.el('button', {
            type: 'button',
            className: 'sort-button',
            onclick: function () {
              state.dir = state.index === i && state.dir === 'ascending' ? 'descending' : 'ascending';
              state.index = i;
              render();
              var again = thead.querySelectorAll('th')[i].querySelector('button');
              if (again) again.focus();
            }
          }, [col.label, arrow ? A.el('span', { className: 'sort-button__arrow', 'aria-hidden': 'true', text: arrow }) : null]));
        } else {
          th.textContent = col.label;
        }
        tr.appendChild(th);
      });
      thead.appendChild(tr);
    }

    function sorted() {
      if (state.index < 0 || !columns[state.index].sort) return rows;
      var key = columns[state.index].sort;
      var sign = state.dir === 'ascending' ? 1 : -1;
      return rows.slice().sort(function (a, b) {
        var x = key(a);
        var y = key(b);
        if (typeof x === 'string' || typeof y === 'string') {
          return sign * String(x || '').localeCompare(String(y || ''), 'en', { sensitivity: 'base' });
        }
        return sign * ((x || 0) - (y || 0));
      });
    }

    function render() {
      head();
      tbody.textContent = '';
      sorted().forEach(function (row) {
        var tr = A.el('tr', { className: opts.rowClass ? opts.rowClass(row) : null });
        columns.forEach(function (col, i) {
          var cell = A.el(i === 0 && opts.rowHeaders ? 'th' : 'td', {
            className: [col.numeric ? 'table__number' : '', col.className || ''].join(' ').trim() || null,
            scope: i === 0 && opts.rowHeaders ? 'row' : null
          });
          A.append(cell, col.cell(row));
          tr.appendChild(cell);
        });
        tbody.appendChild(tr);
      });
    }

    render();
    return { render: render };
  };

  /** A link inside a table cell, with an optional line of secondary text under it. */
  A.cellLink = function (href, text, secondary) {
    return [A.el('a', { className: 'link', href: href, text: text }),
      secondary ? A.el('span', { className: 'table__secondary', text: secondary }) : null];
  };

  A.cellText = function (text, secondary) {
    return [A.el('span', { text: text }),
      secondary ? A.el('span', { className: 'table__secondary', text: secondary }) : null];
  };

  /* ---------- filters in the address ---------- */

  A.query = function () { return new URLSearchParams(window.location.search); };

  /** Fills a filter form from the address; submitting it loads the page with the new
      filters (so a filtered list can be bookmarked, and the back button works). */
  A.filters = function (form, defaults) {
    var q = A.query();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      var v = q.has(el.name) ? q.get(el.name) : (defaults && defaults[el.name]) || '';
      if (el.tagName === 'SELECT' && v && !el.querySelector('option[value="' + CSS.escape(v) + '"]')) {
        el.appendChild(A.el('option', { value: v, text: v }));
      }
      el.value = v;
    });
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var out = new URLSearchParams();
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && String(el.value || '').trim() !== '') out.set(el.name, String(el.value).trim());
      });
      var s = out.toString();
      window.location.assign(window.location.pathname + (s ? '?' + s : ''));
    });
    var clear = form.querySelector('.filters__clear');
    if (clear) clear.setAttribute('href', window.location.pathname);
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && String(el.value || '').trim() !== '') values[el.name] = String(el.value).trim();
    });
    return values;
  };

  /** Paging: the offset from the address, and the pager's text and links. */
  A.offset = function () {
    var n = parseInt(A.query().get('offset') || '0', 10);
    return isFinite(n) && n > 0 ? n : 0;
  };

  A.pager = function (id, total, limit, offset, shown) {
    var nav = C.byId(id);
    if (!nav) return;
    var first = total === 0 ? 0 : offset + 1;
    var last = offset + shown;
    C.byId(id + '-status').textContent = total === 0 ? '' :
      'Showing ' + A.number(first) + ' to ' + A.number(last) + ' of ' + A.number(total);
    function link(el, to) {
      if (to === null) { el.hidden = true; return; }
      var q = A.query();
      if (to > 0) q.set('offset', String(to)); else q.delete('offset');
      var s = q.toString();
      el.href = window.location.pathname + (s ? '?' + s : '');
      el.hidden = false;
    }
    link(C.byId(id + '-prev'), offset > 0 ? Math.max(0, offset - limit) : null);
    link(C.byId(id + '-next'), last < total ? offset + limit : null);
    nav.hidden = total <= shown && offset === 0;
  };

  /* ---------- confirmation ---------- */

  /** Asks before an action. Resolves to true if the organizer confirms. */
  A.confirm = function (opts) {
    var dialog = C.byId('confirm-dialog');
    var yes = C.byId('confirm-yes');
    var no = C.byId('confirm-no');
    C.byId('confirm-title').textContent = opts.title || 'Are you sure?';
    C.byId('confirm-text').textContent = opts.text || '';
    yes.textContent = opts.yes || 'Yes';
    yes.className = 'button' + (opts.warning ? ' button--warning' : '');
    no.textContent = opts.no || 'Cancel';
    return new Promise(function (resolve) {
      var answered = false;
      function done(answer) {
        if (answered) return;
        answered = true;
        yes.removeEventListener('click', onYes);
        no.removeEventListener('click', onNo);
        dialog.removeEventListener('close', onClose);
        if (dialog.open) dialog.close();
        resolve(answer);
      }
      function onYes() { done(true); }
      function onNo() { done(false); }
      function onClose() { done(false); }
      yes.addEventListener('click', onYes);
      no.addEventListener('click', onNo);
      dialog.addEventListener('close', onClose);
      dialog.showModal();
      (opts.warning ? no : yes).focus();
    });
  };

  /* ---------- forms ---------- */

  /** Sends a form's result to the API and shows its field errors (422) or its refusal
      (409 and others) in the form's error summary, keeping what was typed. Resolves to
      the answer when it succeeded, or null. */
  A.submit = function (form, summary, request, what) {
    C.clearErrors(form, summary);
    return request().then(function (res) {
      if (res.status >= 200 && res.status < 300) return res;
      if (res.status === 422 && res.data && res.data.errors && typeof res.data.errors === 'object') {
        C.showErrors(form, summary, res.data.errors);
      } else {
        C.showErrors(form, summary, {}, A.failure(res, what));
      }
      return null;
    });
  };

  /** Reads an amount field into cents, or records an error for it. */
  A.amount = function (form, name, errors, what, optional) {
    var parsed = C.parseAmount(C.value(form, name));
    if (parsed.empty) {
      if (!optional) errors[name] = ['enter ' + what];
      return null;
    }
    if (parsed.invalid) {
      errors[name] = ['enter ' + what + ' in numbers, like 1250 or 1250.50'];
      return null;
    }
    return parsed.cents;
  };

  /* ---------- the frame ---------- */

  function showAccount(me) {
    C.byId('account-name').textContent = me.name || me.email;
    C.byId('account-role').textContent = me.role === 'admin' ? 'Admin' : 'Reviewer';
    C.byId('account').hidden = false;
    var nav = C.byId('admin-nav');
    if (nav) nav.hidden = false;
    document.querySelectorAll('[data-admin-only]').forEach(function (el) { el.hidden = !A.isAdmin; });
  }

  function showEvent(event) {
    A.event = event;
    C.setText('.js-event-name', event.name || A.slug);
    var nav = C.byId('event-nav');
    if (nav) nav.hidden = false;
    document.querySelectorAll('[data-currency-prefix]').forEach(function (el) {
      el.textContent = C.currencySymbol(event.currency);
    });
  }

  /** The event's numbers, asked for once per page (the overview and the navigation's
      counts of what waits for review). Resolves to null if they cannot be had. */
  var statsPromise = null;
  A.stats = function () {
    if (!statsPromise) {
      statsPromise = A.api('GET', A.eventPath('/stats')).then(function (res) {
        return res.status === 200 && res.data ? res.data : null;
      });
    }
    return statsPromise;
  };

  /** The counts beside Requests, Nominations and Scholarships in the event's navigation. */
  A.showPendingCounts = function (stats) {
    if (!stats) return;
    var pending = {
      requests: stats.invitation_requests && stats.invitation_requests.pending,
      nominations: stats.nominations && stats.nominations.pending,
      scholarships: stats.scholarships && stats.scholarships.pending
    };
    document.querySelectorAll('[data-pending]').forEach(function (el) {
      var n = pending[el.getAttribute('data-pending')];
      el.textContent = '';
      if (typeof n === 'number' && n > 0) {
        el.appendChild(document.createTextNode(String(n)));
        el.appendChild(A.el('span', { className: 'visually-hidden', text: ' waiting' }));
        el.hidden = false;
      } else {
        el.hidden = true;
      }
    });
  };

  function pageTitle() {
    var h1 = document.querySelector('#page h1');
    var text = h1 ? h1.textContent.trim() : '';
    if (A.event && text !== A.event.name) return text + ' – ' + A.event.name;
    return text || 'Organizer dashboard';
  }

  function start() {
    var run = pages[A.page];
    // Pages for whoever is not signed in: signing in, and setting a forgotten password.
    if (A.page === 'sign-in' || A.page === 'forgot-password' || A.page === 'reset-password') {
      if (run) run();
      return;
    }
    C.byId('sign-out').addEventListener('click', C.guard(C.byId('sign-out'), function () {
      return C.api('POST', '/api/v1/auth/logout', {}).then(function () {
        A.flash('You have signed out.');
        window.location.assign('/admin/sign-in');
      });
    }));
    A.api('GET', '/auth/me').then(function (res) {
      if (res.status !== 200 || !res.data) return A.fail(res);
      A.me = res.data;
      A.isAdmin = res.data.role === 'admin';
      showAccount(res.data);
      if (ADMIN_PAGES[A.page] && !A.isAdmin) {
        return A.fail({ status: 403 });
      }
      var loadEvent = A.slug ? A.api('GET', A.eventPath()) : Promise.resolve(null);
      return loadEvent.then(function (ev) {
        if (ev) {
          if (ev.status !== 200 || !ev.data) return A.fail(ev, 'event');
          showEvent(ev.data);
          A.stats().then(A.showPendingCounts);
        }
        if (A.page === 'not-found') {
          A.showPage();
          return null;
        }
        if (!run) return A.fail({ status: 404 });
        return Promise.resolve(run(A.event)).then(function () {
          if (!stateShown) {
            A.showPage();
            C.setTitle(pageTitle());
          }
          showFlash();
        });
      });
    }).catch(function (e) {
      if (window.console) console.error(e);
      A.fail({ status: 500 });
    });
  }

  window.ConveneAdmin = A;

  document.addEventListener('DOMContentLoaded', function () {
    var retry = C.byId('retry');
    if (retry) retry.addEventListener('click', function () { window.location.reload(); });
    // Page scripts load after this one (defer keeps the order) and register first.
    start();
  });
}());

/* The sign-in page. */
(function () {
  'use strict';
  var C = window.Convene;
  var A = window.ConveneAdmin;

  /** Where to go after signing in: only a dashboard address of this site. */
  function next() {
    var raw = new URLSearchParams(window.location.search).get('next') || '';
    return /^\/admin(\/[^\/\\]|\/?$|\?)/.test(raw) && raw.indexOf('/admin/sign-in') !== 0 ? raw : '/admin';
  }

  A.register('sign-in', function () {
    var form = C.byId('sign-in-form');
    var summary = C.byId('error-summary');
    C.api('GET', '/api/v1/auth/me').then(function (res) {
      if (res.status === 200) {
        window.location.replace(next());
        return;
      }
      A.showPage();
      var flash = null;
      try {
        flash = window.sessionStorage.getItem('convene-flash');
        window.sessionStorage.removeItem('convene-flash');
      } catch (e) { flash = null; }
      if (flash) A.notify(flash, true);
    });
    form.addEventListener('submit', C.guard(C.byId('sign-in-button'), function () {
      var errors = {};
      if (!C.value(form, 'email')) errors.email = ['Enter your email address'];
      if (!C.byId('password').value) errors.password = ['Enter your password'];
      if (Object.keys(errors).length) {
        C.showErrors(form, summary, errors);
        return Promise.resolve();
      }
      return C.api('POST', '/api/v1/auth/login', {
        email: C.value(form, 'email'),
        password: C.byId('password').value
      }).then(function (res) {
        if (res.status === 200) {
          window.location.assign(next());
        } else if (res.status === 401) {
          C.showErrors(form, summary, {}, 'The email address or password is not right, or the account is disabled. Check them and try again.');
          C.byId('password').value = '';
        } else if (res.status === 422 && res.data && res.data.errors) {
          C.showErrors(form, summary, res.data.errors);
        } else {
          C.showErrors(form, summary, {}, A.failure(res, 'account'));
        }
      });
    }));
  });
}());
