/* convene — the manage page (/manage/{token}): shows a registration with its event,
   nominations and scholarship; edits one's own details (PATCH), nominates a young leader
   and withdraws a pending nomination, asks for a travel scholarship, withdraws it,
   answers an award, and cancels. */
(function () {
  'use strict';

  var C = window.Convene;
  var token = C.tokenFromPath();
  var base = '/api/v1/manage/' + encodeURIComponent(token);
  var current = null;

  var form = C.byId('details-form');
  var summary = C.byId('error-summary');
  var cancelSummary = C.byId('cancel-error-summary');
  var scholarshipForm = C.byId('scholarship-form');
  var scholarshipSummary = C.byId('scholarship-error-summary');
  var setEditing = function () {};
  var setCancelling = function () {};
  var setAsking = function () {};
  var setNominating = function () {};
  var nominationForm = C.byId('nomination-form');
  var nominationSummary = C.byId('nomination-error-summary');

  // What PATCH /manage/{token} changes; the email address and community are not among them.
  var DETAIL_FIELDS = ['full_name', 'title', 'organization', 'phone',
    'dietary_requirements', 'accessibility_needs'];

  /** The registration itself, whether the API nests it or not. */
  function registrationOf(data) {
    return data && data.registration && typeof data.registration === 'object' ? data.registration : (data || {});
  }

  function load(afterwards) {
    if (!current) C.showLoading();
    return C.api('GET', base).then(function (res) {
      if (res.status === 200 && res.data && typeof res.data === 'object') {
        render(res.data, afterwards);
      } else if (res.status === 404 || res.status === 400) {
        C.showState('state-not-found', 'Registration not found');
      } else if (res.status === 410) {
        var detail = C.problemDetail(res.data);
        if (detail) C.byId('state-gone-detail').textContent = detail;
        C.showState('state-gone', 'Registration closed');
      } else {
        C.showState('state-error', 'Sorry, there is a problem');
      }
    });
  }

  function render(data, notice) {
    current = data;
    var reg = registrationOf(data);
    var event = data.event || reg.event || {};
    C.showEvent(event);

    var status = C.registrationStatus(reg.status);
    var tag = C.byId('registration-status');
    tag.textContent = status.text;
    tag.className = 'tag tag--large tag--' + status.colour;
    C.byId('status-box').className = 'status status--' + (reg.status || 'unknown');
    var explanation = {
      confirmed: 'Your place is confirmed. We look forward to seeing you.',
      waitlisted: 'The event is full at the moment. If a place becomes available, we will give it to the next person on the waiting list and email you.',
      cancelled: 'You have cancelled this registration. If you want to attend after all, contact the organizing team' +
        (event.contact_email ? ' at ' + event.contact_email : '') + '.'
    }[reg.status] || '';
    if (reg.status === 'waitlisted' && typeof data.waitlist_position === 'number') {
      explanation = 'You are number ' + data.waitlist_position + ' on the waiting list. ' + explanation;
    }
    C.byId('status-explanation').textContent = explanation;
    C.byId('cancel-consequence').textContent = reg.status === 'waitlisted'
      ? 'You will be taken off the waiting list.'
      : 'Your seat will be released and offered to the next person on the waiting list.';

    showCheckIn(data, reg);
    showDetails(reg);
    showNominations(data, reg);
    showScholarship(data, event, reg);
    var nominations = Array.isArray(data.nominations) ? data.nominations : (data.nomination ? [data.nomination] : []);
    var pending = nominations.some(function (n) { return n && n.status === 'pending'; }) ||
      !!(data.scholarship && data.scholarship.status === 'pending');
    C.byId('cancel-withdraws').hidden = !pending;
    var award = data.scholarship && data.scholarship.award_status;
    C.byId('cancel-releases-award').hidden = !(award === 'offered' || award === 'accepted');

    var active = reg.status !== 'cancelled';
    C.byId('details-edit').hidden = !active;
    C.byId('cancel-section').hidden = !active;
    if (!active) {
      setEditing(false);
      setCancelling(false);
    }

    C.showState('state-registration', event.name ? 'Your registration for ' + event.name : 'Your registration');
    if (notice) {
      C.byId('notification-text').textContent = notice;
      var banner = C.byId('notification');
      banner.hidden = false;
      banner.focus({ preventScroll: true });
    }
  }

  // The QR code for the door, only while the registration is confirmed.
  function showCheckIn(data, reg) {
    var code = reg.status === 'confirmed' ? data.checkin_code : null;
    C.byId('checkin-section').hidden = !code;
    if (!code) return;
    var img = C.byId('checkin-qr');
    var src = base + '/checkin.png';
    if (img.getAttribute('src') !== src) img.setAttribute('src', src);
    // In groups of four, easier to read out; the desk ignores the spaces.
    C.byId('checkin-code').textContent = code.replace(/(.{4})(?=.)/g, '$1 ');
  }

  function showDetails(reg) {
    var community = reg.community || {};
    var place = [community.name, community.state].filter(Boolean).join(', ');
    C.setText('.js-email', reg.email || '');
    C.setText('.js-community', place);
    C.summaryRows(C.byId('details-list'), [
      ['Full name', reg.full_name],
      ['Email address', reg.email],
      ['Job title', reg.title],
      ['Organization', reg.organization],
      ['Community', place],
      ['Phone number', reg.phone],
      ['Dietary requirements', reg.dietary_requirements, 'None given'],
      ['Accessibility needs', reg.accessibility_needs, 'None given']
    ]);
  }

  var NOMINATION_STATUS = {
    pending: ['Waiting for review', 'blue'],
    approved: ['Approved: we have invited them', 'green'],
    declined: ['Not approved', 'grey'],
    withdrawn: ['Withdrawn', 'grey']
  };

  function showNominations(data, reg) {
    var section = C.byId('nomination-section');
    var has = Object.prototype.hasOwnProperty;
    // Young leaders do not nominate; an API without nominations shows nothing.
    if (reg.kind === 'young_leader' || (!has.call(data, 'nomination') && !has.call(data, 'nominations'))) {
      section.hidden = true;
      return;
    }
    var list = [];
    if (Array.isArray(data.nominations)) list = data.nominations;
    else if (data.nomination) list = [data.nomination];
    var holder = C.byId('nomination-list');
    var active = reg.status !== 'cancelled';
    holder.textContent = '';
    C.clearErrors(holder, C.byId('nomination-withdraw-summary'));
    C.byId('nomination-open').hidden = !(active && data.may_nominate);
    if (!(active && data.may_nominate)) setNominating(false);
    list.forEach(function (n) {
      var s = NOMINATION_STATUS[n.status] || [C.capitalise(n.status || 'Unknown'), 'grey'];
      var dl = document.createElement('dl');
      dl.className = 'summary-list';
      C.summaryRows(dl, [
        ['Young leader', n.full_name],
        ['Email address', n.email],
        ['Job title', n.title],
        ['Organization', n.organization],
        ['Status', C.tag(s[0], s[1])]
      ].concat(n.decision_note ? [['Note from the organizers', n.decision_note]] : []));
      holder.appendChild(dl);
      if (n.status === 'pending' && active) holder.appendChild(withdrawButton(n));
    });
    C.byId('nomination-none').hidden = list.length > 0;
    section.hidden = false;
  }

  /** Withdraws one pending nomination; a refusal is shown above the list. */
  function withdrawButton(n) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'button button--secondary js-withdraw-nomination';
    b.textContent = 'Withdraw the nomination of ' + n.full_name;
    b.addEventListener('click', C.guard(b, function () {
      var url = base + '/nominations/' + encodeURIComponent(n.id) + '/withdraw';
      // The last message is about an earlier action: gone before this one answers.
      C.byId('notification').hidden = true;
      return C.api('POST', url, {}).then(function (res) {
        if (res.status >= 200 && res.status < 300) {
          return load('Your nomination of ' + n.full_name + ' has been withdrawn.');
        }
        var holder = C.byId('nomination-list');
        C.showErrors(holder, C.byId('nomination-withdraw-summary'), {}, C.failureMessage(res, 'nomination'));
        return null;
      });
    }));
    return b;
  }

  function nominate() {
    var v = function (name) { return C.value(nominationForm, name); };
    var body = { full_name: v('full_name'), email: v('email'), title: v('title'), organization: v('organization'), reason: v('reason') };
    C.byId('notification').hidden = true;
    return C.api('POST', base + '/nomination', body).then(function (res) {
      if (res.status >= 200 && res.status < 300) {
        C.clearErrors(nominationForm, nominationSummary);
        nominationForm.reset();
        setNominating(false);
        return load('We have your nomination of ' + body.full_name + ' and have emailed you a receipt.');
      }
      return refused(nominationForm, nominationSummary, res, 'registration');
    });
  }

  var SCHOLARSHIP_STATUS = {
    pending: ['Waiting for review', 'blue'],
    approved: ['Approved', 'green'],
    declined: ['Not approved', 'grey'],
    waitlisted: ['On the waiting list', 'yellow'],
    withdrawn: ['Withdrawn', 'grey']
  };

  /** What became of an approved request's award. */
  var AWARD_STATUS = {
    offered: ['Approved: waiting for your answer', 'blue'],
    accepted: ['Approved and accepted', 'green'],
    declined: ['You declined the award', 'grey'],
    lapsed: ['Not answered in time', 'grey'],
    released: ['Released when you cancelled', 'grey']
  };

  function showScholarship(data, event, reg) {
    var active = reg.status !== 'cancelled';
    var s0 = data.scholarship;
    var open = !!(s0 && s0.award_status === 'offered' && s0.reply_by &&
      new Date(s0.reply_by).getTime() > Date.now());
    C.byId('award-panel').hidden = !(active && open);
    C.byId('scholarship-withdraw-panel').hidden = !(active && s0 && s0.status === 'pending');
    C.byId('scholarship-open').hidden = !(active && !s0);
    if (s0 || !active) setAsking(false);
    if (open) {
      C.byId('award-text').textContent = 'The organizers have awarded your community ' +
        C.formatMoney(s0.awarded_amount_cents, event.currency) + ' towards travel. Please accept or decline it by ' +
        C.formatMoment(s0.reply_by, event.timezone) + '. If you decline, the amount goes to another community.';
    }
    var section = C.byId('scholarship-section');
    var has = Object.prototype.hasOwnProperty;
    var key = has.call(data, 'scholarship') ? 'scholarship'
      : has.call(data, 'travel_scholarship') ? 'travel_scholarship' : null;
    if (!key) {
      section.hidden = true;
      return;
    }
    var s = data[key];
    var list = C.byId('scholarship-list');
    C.byId('scholarship-none').hidden = !!s;
    list.hidden = !s;
    if (s) {
      var currency = s.currency || event.currency;
      var st = (s.status === 'approved' && AWARD_STATUS[s.award_status]) ||
        SCHOLARSHIP_STATUS[s.status] || [C.capitalise(s.status || 'Unknown'), 'grey'];
      var rows = [
        ['Travelers', s.travelers],
        ['Estimated cost', C.formatMoney(s.estimated_cost_cents, currency)],
        ['Amount asked for', C.formatMoney(s.requested_amount_cents, currency)],
        ['Status', C.tag(st[0], st[1])]
      ];
      if (typeof s.awarded_amount_cents === 'number') {
        rows.push(['Amount awarded', C.formatMoney(s.awarded_amount_cents, currency)]);
      }
      if (s.award_status === 'offered' && s.reply_by) {
        rows.push(['Answer by', C.formatMoment(s.reply_by, event.timezone)]);
      }
      if (s.decision_note) rows.push(['Note from the organizers', s.decision_note]);
      C.summaryRows(list, rows);
    }
    section.hidden = false;
  }

  function fillForm() {
    var reg = registrationOf(current);
    DETAIL_FIELDS.forEach(function (name) {
      var el = C.control(form, name);
      if (el) el.value = reg[name] === undefined || reg[name] === null ? '' : String(reg[name]);
    });
  }

  /** Sends only what PATCH changes: a field it does not know would be dropped silently. */
  function save() {
    var v = function (name) { return C.value(form, name); };
    var body = {
      full_name: v('full_name'),
      title: v('title'),
      organization: v('organization'),
      // Empty optional answers are sent as null, which clears them.
      phone: v('phone') || null,
      dietary_requirements: v('dietary_requirements') || null,
      accessibility_needs: v('accessibility_needs') || null
    };
    return C.api('PATCH', base, body).then(function (res) {
      if (res.status >= 200 && res.status < 300) {
        C.clearErrors(form, summary);
        setEditing(false);
        return settle(res, 'Your details have been saved.');
      }
      return refused(form, summary, res, 'registration');
    });
  }

  /** Shows the registration as a change left it: the answer when it is the whole view,
      else what a fresh read says. */
  function settle(res, notice) {
    if (res.data && res.data.registration && res.data.event) {
      render(res.data, notice);
      return null;
    }
    return load(notice);
  }

  /** The request as typed, or the fields that cannot be sent as typed (amounts, counts). */
  function scholarshipBody() {
    var v = function (name) { return C.value(scholarshipForm, name); };
    var errors = {};
    var body = { justification: v('justification') };
    var travelers = v('travelers');
    if (travelers === '') {
      errors.travelers = ['enter how many people would travel'];
    } else if (!/^\d{1,4}$/.test(travelers) || +travelers < 1) {
      errors.travelers = ['enter the number of travelers as a whole number, like 2'];
    } else {
      body.travelers = parseInt(travelers, 10);
    }
    [
      ['estimated_cost_cents', 'the estimated cost of travel'],
      ['requested_amount_cents', 'the amount you are asking for']
    ].forEach(function (pair) {
      var amount = C.parseAmount(v(pair[0]));
      if (amount.empty) errors[pair[0]] = ['enter ' + pair[1]];
      else if (amount.invalid) errors[pair[0]] = ['enter ' + pair[1] + ' in numbers, like 1250 or 1250.50'];
      else body[pair[0]] = amount.cents;
    });
    return { body: body, errors: errors };
  }

  function askScholarship() {
    var built = scholarshipBody();
    if (Object.keys(built.errors).length) {
      C.showErrors(scholarshipForm, scholarshipSummary, built.errors);
      return null;
    }
    return C.api('POST', base + '/scholarship', built.body).then(function (res) {
      if (res.status >= 200 && res.status < 300) {
        C.clearErrors(scholarshipForm, scholarshipSummary);
        scholarshipForm.reset();
        setAsking(false);
        return load('We have your request for a travel scholarship and have emailed you a receipt.');
      }
      return refused(scholarshipForm, scholarshipSummary, res, 'registration');
    });
  }

  /** A one-button action on the request (withdraw, accept, decline): the page is read
      again on success, and a refusal is shown in the action's own panel. */
  function scholarshipAction(action, panelId, summaryId, notice) {
    return function () {
      return C.api('POST', base + '/scholarship/' + action, {}).then(function (res) {
        var panel = C.byId(panelId);
        if (res.status >= 200 && res.status < 300) {
          C.clearErrors(panel, C.byId(summaryId));
          return load(notice);
        }
        C.showErrors(panel, C.byId(summaryId), {}, C.failureMessage(res, 'travel scholarship request'));
        return null;
      });
    };
  }

  function cancel() {
    return C.api('POST', base + '/cancel', {}).then(function (res) {
      if (res.status >= 200 && res.status < 300) {
        setCancelling(false);
        return settle(res, 'Your registration has been cancelled. We have emailed you a confirmation.');
      }
      var panel = C.byId('cancel-confirm');
      C.showErrors(panel, cancelSummary, {}, C.failureMessage(res, 'registration'));
      return null;
    });
  }

  /** A panel behind a button: opening it hides the last message (it spoke of an earlier
      action) and moves focus in; its cancel button closes it, clears its errors and gives
      focus back. Returns the panel's setter. */
  function openable(openId, panel, panelSummary, focusId, cancelId) {
    var open = C.byId(openId);
    var set = C.disclosure(open, panel, function () {
      C.byId('notification').hidden = true;
      C.byId(focusId).focus();
    });
    C.byId(cancelId).addEventListener('click', function () {
      C.clearErrors(panel, panelSummary);
      set(false);
      open.focus();
    });
    return set;
  }

  /** Shows why the API refused a form: its fields, or a sentence naming `what`. */
  function refused(theForm, theSummary, res, what) {
    if (res.status === 422 && res.data && res.data.errors && typeof res.data.errors === 'object') {
      C.showErrors(theForm, theSummary, res.data.errors);
    } else {
      C.showErrors(theForm, theSummary, {}, C.failureMessage(res, what));
    }
    return null;
  }

  document.addEventListener('DOMContentLoaded', function () {
    var edit = C.byId('details-edit');
    var view = C.byId('details-view');
    var toggleEdit = C.disclosure(edit, form);
    setEditing = function (open) {
      toggleEdit(open);
      view.hidden = open;
    };
    edit.addEventListener('click', function () {
      // The disclosure has just opened the form: fill it and hide the read-only list.
      C.clearErrors(form, summary);
      fillForm();
      C.byId('notification').hidden = true;
      view.hidden = true;
      C.byId('full-name').focus();
    });
    C.byId('details-cancel').addEventListener('click', function () {
      C.clearErrors(form, summary);
      setEditing(false);
      edit.focus();
    });
    form.addEventListener('submit', C.guard(C.byId('details-save'), save));

    setCancelling = openable('cancel-open', C.byId('cancel-confirm'), cancelSummary, 'cancel-confirm-title', 'cancel-no');
    C.byId('cancel-yes').addEventListener('click', C.guard(C.byId('cancel-yes'), cancel));
    setNominating = openable('nomination-open', nominationForm, nominationSummary, 'nominee-full-name', 'nomination-cancel');
    nominationForm.addEventListener('submit', C.guard(C.byId('nomination-send'), nominate));
    setAsking = openable('scholarship-open', scholarshipForm, scholarshipSummary, 'scholarship-travelers', 'scholarship-cancel');
    scholarshipForm.addEventListener('submit', C.guard(C.byId('scholarship-send'), askScholarship));
    [
      ['scholarship-withdraw', 'withdraw', 'scholarship-withdraw-panel', 'withdraw-error-summary',
        'Your travel scholarship request has been withdrawn.'],
      ['award-accept', 'accept', 'award-panel', 'award-error-summary',
        'Thank you: you have accepted the travel scholarship.'],
      ['award-decline', 'decline', 'award-panel', 'award-error-summary',
        'You have declined the travel scholarship. Thank you for letting us know: the amount will go to another community.']
    ].forEach(function (a) {
      var button = C.byId(a[0]);
      button.addEventListener('click', C.guard(button, scholarshipAction(a[1], a[2], a[3], a[4])));
    });

    if (!token) {
      C.showState('state-not-found', 'Registration not found');
      return;
    }
    load();
  });
}());
