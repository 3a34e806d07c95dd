/* convene — the invitation page (/invite/{token}): loads the invitation, shows the
   event and a prefilled registration form, sends it as JSON, and offers to decline. */
(function () {
  'use strict';

  var C = window.Convene;
  var token = C.tokenFromPath();
  var base = '/api/v1/invitations/' + encodeURIComponent(token);
  var invitation = null;

  var form = C.byId('registration-form');
  var summary = C.byId('error-summary');
  var declineForm = C.byId('decline-form');
  var declineSummary = C.byId('decline-error-summary');

  function load() {
    C.showLoading();
    return C.api('GET', base).then(function (res) {
      if (res.status === 200 && res.data && typeof res.data === 'object') {
        show(res.data);
      } else if (res.status === 404 || res.status === 400) {
        C.showState('state-not-found', 'Invitation not found');
      } else if (res.status === 410) {
        var detail = C.problemDetail(res.data);
        if (detail) C.byId('state-gone-detail').textContent = detail;
        C.showState('state-gone', 'Invitation no longer valid');
      } else {
        C.showState('state-error', 'Sorry, there is a problem');
      }
    });
  }

  function show(data) {
    invitation = data;
    var event = data.event || {};
    C.showEvent(event);
    var status = String(data.status || '');
    var registration = data.registration || null;

    if (registration || status === 'accepted') {
      var reg = registration && registration.status ? C.registrationStatus(registration.status) : null;
      if (reg) {
        var tag = C.byId('registered-status-tag');
        tag.textContent = reg.text;
        tag.className = 'tag tag--' + reg.colour;
        C.byId('registered-status').hidden = false;
      }
      C.showState('state-registered', 'Already registered');
      return;
    }
    if (status === 'declined') {
      C.showState('state-declined', 'Invitation declined');
      return;
    }
    if (status === 'revoked' || status === 'expired') {
      C.showState('state-gone', 'Invitation no longer valid');
      return;
    }
    var closed = data.event && (event.registration_open === false ||
      event.status === 'closed' || event.status === 'archived' || event.status === 'draft');
    if (closed) {
      var opens = event.registration_opens_at ? new Date(event.registration_opens_at) : null;
      if (opens && opens.getTime() > Date.now()) {
        var when = C.byId('closed-opens');
        when.textContent = 'Registration opens on ' + C.formatMoment(event.registration_opens_at, event.timezone) +
          '. Come back to this page then, using the link in your invitation email.';
        when.hidden = false;
      }
      C.showState('state-closed', 'Registration closed');
      return;
    }

    var closes = C.formatMoment(event.registration_closes_at, event.timezone);
    if (closes) {
      C.byId('event-closes').textContent = closes;
      C.byId('event-closes-row').hidden = false;
    }
    if (data.kind === 'young_leader' || data.may_nominate === false) {
      // A young leader was nominated; they do not nominate in turn.
      var section = C.byId('nomination-section');
      if (section) section.remove();
    }
    var currency = /^[A-Z]{3}$/.test(event.currency || '') ? event.currency : 'USD';
    ['scholarship-estimated-cost-hint', 'scholarship-requested-amount-hint'].forEach(function (id) {
      var hint = C.byId(id);
      if (hint) hint.textContent = 'In ' + currency + '. ' + hint.textContent;
    });
    if (typeof data.message === 'string' && data.message.trim()) {
      C.byId('organizer-message-text').textContent = data.message.trim();
      C.byId('organizer-message').hidden = false;
    }
    prefill(data.invitee || {});
    C.showState('state-invitation', (event.name ? 'Register for ' + event.name : 'Your invitation'));
  }

  function prefill(invitee) {
    var community = invitee.community || {};
    C.setValue(form, 'full_name', invitee.full_name);
    C.setValue(form, 'email', invitee.email);
    C.setValue(form, 'title', invitee.title);
    C.setValue(form, 'organization', invitee.organization);
    C.setValue(form, 'community.name', community.name);
    C.setValue(form, 'community.state', community.state);
  }

  /** The JSON body, or the fields that cannot be sent as typed (amounts, counts). */
  function buildBody() {
    var v = function (name) { return C.value(form, name); };
    var errors = {};
    var body = {
      full_name: v('full_name'),
      email: v('email'),
      title: v('title'),
      organization: v('organization'),
      community: { name: v('community.name'), state: v('community.state') }
    };
    ['phone', 'dietary_requirements', 'accessibility_needs'].forEach(function (name) {
      if (v(name)) body[name] = v(name);
    });

    var nominate = C.byId('nominate');
    if (nominate && nominate.checked) {
      body.young_leader_nomination = {
        full_name: v('young_leader_nomination.full_name'),
        email: v('young_leader_nomination.email'),
        title: v('young_leader_nomination.title'),
        organization: v('young_leader_nomination.organization'),
        reason: v('young_leader_nomination.reason')
      };
    }

    var scholarship = C.byId('request-scholarship');
    if (scholarship && scholarship.checked) {
      var s = { justification: v('travel_scholarship.justification') };
      var travelers = v('travel_scholarship.travelers');
      if (travelers === '') {
        errors['travel_scholarship.travelers'] = ['enter how many people would travel'];
      } else if (!/^\d{1,4}$/.test(travelers) || +travelers < 1) {
        errors['travel_scholarship.travelers'] = ['enter the number of travelers as a whole number, like 2'];
      } else {
        s.travelers = parseInt(travelers, 10);
      }
      [
        ['estimated_cost_cents', 'the estimated cost of travel'],
        ['requested_amount_cents', 'the amount you are asking for']
      ].forEach(function (pair) {
        var name = 'travel_scholarship.' + pair[0];
        var amount = C.parseAmount(v(name));
        if (amount.empty) errors[name] = ['enter ' + pair[1]];
        else if (amount.invalid) errors[name] = ['enter ' + pair[1] + ' in numbers, like 1250 or 1250.50'];
        else s[pair[0]] = amount.cents;
      });
      body.travel_scholarship = s;
    }
    return { body: body, errors: errors };
  }

  function register() {
    var built = buildBody();
    if (Object.keys(built.errors).length) {
      C.showErrors(form, summary, built.errors);
      return Promise.resolve();
    }
    return C.api('POST', base + '/registration', built.body).then(function (res) {
      if ((res.status === 201 || res.status === 200) && res.data) {
        confirmation(res.data, built.body);
      } else if (res.status === 422 && res.data && res.data.errors && typeof res.data.errors === 'object') {
        C.showErrors(form, summary, res.data.errors);
      } else {
        C.showErrors(form, summary, {}, C.failureMessage(res, 'invitation'));
      }
    });
  }

  function confirmation(data, sent) {
    var registration = data.registration || data;
    var waitlisted = registration.status === 'waitlisted';
    C.byId('confirmation-title').textContent = waitlisted ? 'You are on the waiting list' : 'Registration complete';
    C.byId('confirmation-lead').textContent = waitlisted
      ? 'We will email you if a place becomes available'
      : 'Your place is confirmed';
    C.byId('confirmation-confirmed').hidden = waitlisted;
    C.byId('confirmation-waitlisted').hidden = !waitlisted;
    C.setText('.js-sent-to', sent.email ? ' to ' + sent.email : '');

    if (sent.young_leader_nomination) {
      var n = C.byId('confirmation-nomination');
      n.textContent = 'We have received your nomination of ' + sent.young_leader_nomination.full_name +
        '. The organizers will review it and email you their decision.';
      n.hidden = false;
    }
    if (sent.travel_scholarship) {
      var currency = invitation && invitation.event ? invitation.event.currency : 'USD';
      var t = C.byId('confirmation-scholarship');
      t.textContent = 'We have received your request for a travel scholarship of ' +
        C.formatMoney(sent.travel_scholarship.requested_amount_cents, currency) +
        '. The organizers will email you their decision.';
      t.hidden = false;
    }
    var link = C.samePath(data.manage_url || (registration && registration.manage_url));
    var manage = C.byId('manage-link');
    if (link) {
      manage.href = link;
    } else {
      manage.parentNode.textContent = 'Your private link to manage your registration is in your confirmation email.';
    }
    C.showState('state-confirmation', waitlisted ? 'On the waiting list' : 'Registration complete', true);
  }

  function decline() {
    var reason = C.value(declineForm, 'reason');
    return C.api('POST', base + '/decline', reason ? { reason: reason } : {}).then(function (res) {
      if (res.status >= 200 && res.status < 300) {
        C.showState('state-decline-done', 'Invitation declined', true);
      } else if (res.status === 422 && res.data && res.data.errors) {
        C.showErrors(declineForm, declineSummary, res.data.errors);
      } else {
        C.showErrors(declineForm, declineSummary, {}, C.failureMessage(res, 'invitation'));
      }
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('.checkboxes__input[aria-controls]').forEach(C.conditionalReveal);
    form.addEventListener('submit', C.guard(C.byId('register-button'), register));

    var open = C.byId('decline-open');
    var setDecline = C.disclosure(open, declineForm, function () {
      C.byId('decline-reason').focus();
    });
    C.byId('decline-cancel').addEventListener('click', function () {
      C.clearErrors(declineForm, declineSummary);
      setDecline(false);
      open.focus();
    });
    declineForm.addEventListener('submit', C.guard(C.byId('decline-confirm'), decline));

    if (!token) {
      C.showState('state-not-found', 'Invitation not found');
      return;
    }
    load();
  });
}());
