/* convene dashboard — registrations: the table (search, filters, sort by any column
   heading) and the detail of one registration with its needs, nomination, scholarship
   request and the emails sent to the registrant. */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;

  function needs(r) {
    var out = [];
    if (r.dietary_requirements) out.push('Dietary');
    if (r.accessibility_needs) out.push('Accessibility');
    return out.join(', ');
  }

  /* Registering someone who phoned or wrote: on success, their new registration's page,
     with the outcome (confirmed or on the waiting list) at its top. */
  function registerForm() {
    var form = C.byId('register-form');
    var summary = C.byId('register-errors');
    var open = C.byId('register-open');
    var set = C.disclosure(open, C.byId('register-panel'), function () { C.byId('register-email').focus(); });
    C.byId('register-close').addEventListener('click', function () {
      C.clearErrors(form, summary);
      set(false);
      open.focus();
    });
    form.addEventListener('submit', C.guard(C.byId('register-send'), function () {
      var v = function (name) { return C.value(form, name); };
      var body = {
        email: v('email'),
        full_name: v('full_name'),
        title: v('title'),
        organization: v('organization'),
        community: { name: v('community.name'), state: v('community.state') }
      };
      if (v('community.country')) body.community.country = v('community.country');
      ['phone', 'dietary_requirements', 'accessibility_needs'].forEach(function (name) {
        if (v(name)) body[name] = v(name);
      });
      return A.submit(form, summary, function () {
        return A.api('POST', A.eventPath('/registrations'), body).then(function (res) {
          // Their address already holds a registration: said at the address, where it is fixed.
          if (res.status === 409 && /already holds a registration/i.test(C.problemDetail(res.data))) {
            return { status: 422, data: { errors: { email: ['already holds a registration for this event that is not cancelled; find it in the list below'] } } };
          }
          return res;
        });
      }, 'event').then(function (res) {
        if (!res || !res.data) return;
        var name = res.data.full_name || body.full_name;
        A.flash(res.data.status === 'waitlisted'
          ? name + ' is on the waiting list: every seat is taken. We have emailed them.'
          : name + ' is registered and confirmed. We have emailed them their confirmation.');
        window.location.assign(A.adminPath('/registrations/' + encodeURIComponent(res.data.id)));
      });
    }));
  }

  A.register('registrations', function () {
    registerForm();
    var filters = A.filters(C.byId('registration-filters'));
    return A.all(A.eventPath('/registrations'), filters).then(function (res) {
      if (res.status === 422) {
        C.byId('results-count').textContent = A.failure(res);
        return null;
      }
      if (res.status !== 200 || !res.data) return A.fail(res);
      var items = res.data.items || [];
      var counts = res.data.counts || {};
      C.byId('registration-counts').textContent = 'In all: ' + A.number(counts.confirmed || 0) + ' confirmed, ' +
        A.number(counts.waitlisted || 0) + ' on the waiting list, ' + A.number(counts.cancelled || 0) + ' cancelled.';
      var filtered = Object.keys(filters).length > 0;
      C.byId('results-count').textContent = A.plural(items.length, 'registration') + (filtered ? ' match these filters.' : ' shown.');
      A.table(C.byId('registrations-table'), [
        {
          label: 'Name',
          sort: function (r) { return r.full_name; },
          cell: function (r) { return A.cellLink(A.adminPath('/registrations/' + encodeURIComponent(r.id)), r.full_name, r.title); }
        },
        {
          label: 'Community',
          sort: function (r) { return A.community(r.community); },
          cell: function (r) { return A.cellText(A.community(r.community), r.organization); }
        },
        { label: 'Kind', sort: function (r) { return r.kind; }, cell: function (r) { return A.words(r.kind); } },
        { label: 'Status', sort: function (r) { return r.status; }, cell: function (r) { return A.tag(r.status); } },
        { label: 'Needs', sort: function (r) { return needs(r); }, cell: needs },
        {
          label: 'Registered',
          sort: function (r) { return Date.parse(r.created_at) || 0; },
          cell: function (r) { return A.when(r.created_at); }
        }
      ], items, { sortable: true, sortIndex: 5, sortDir: 'descending' });
      C.byId('registrations-empty').hidden = items.length > 0;
      C.byId('registrations-table').closest('.table-wrap').hidden = items.length === 0;
      return null;
    });
  });

  function idFromPath() {
    var parts = window.location.pathname.split('/');
    try { return decodeURIComponent(parts[parts.length - 1] || ''); } catch (e) { return ''; }
  }

  /* The organizer acts for the person; after each act the page is loaded again, so that
     nothing on it is stale, with the outcome shown at its top. A refusal (a 409 when no
     seat is free) is shown in the error summary above the buttons, or in the form's own. */
  function actions(reg) {
    var path = A.eventPath('/registrations/' + encodeURIComponent(reg.id));
    var section = C.byId('actions');
    var summary = C.byId('actions-errors');
    function reloadWith(message) {
      A.flash(message);
      window.location.reload();
      return null;
    }
    function done(res, ok, message) {
      if (res.status === ok) return reloadWith(message);
      C.showErrors(section, summary, {}, A.failure(res, 'registration'));
      return null;
    }
    function wire(id, visible, task) {
      var button = C.byId(id);
      if (!button) return;
      button.hidden = !visible;
      button.addEventListener('click', C.guard(button, function () {
        C.clearErrors(section, summary);
        return task();
      }));
    }
    var live = reg.status !== 'cancelled';
    wire('action-confirm', reg.status === 'waitlisted', function () {
      return A.confirm({
        title: 'Confirm ' + reg.full_name + ' now?',
        text: 'They take a free seat ahead of anyone before them on the waiting list, and we email them that they are registered.',
        yes: 'Confirm the registration'
      }).then(function (ok) {
        if (!ok) return null;
        return A.api('POST', path + '/confirm', {}).then(function (res) {
          return done(res, 200, reg.full_name + ' is confirmed and has been emailed.');
        });
      });
    });
    wire('action-manage-link', true, function () {
      return A.confirm({
        title: 'Email ' + reg.full_name + ' a new link?',
        text: 'We will email ' + reg.email + ' a new personal link to their registration. The links they have already keep working.',
        yes: 'Send the link'
      }).then(function (ok) {
        if (!ok) return null;
        return A.api('POST', path + '/manage-link', {}).then(function (res) {
          return done(res, 202, 'A new link to their registration is on its way to ' + reg.email + '.');
        });
      });
    });
    wire('action-reinvite', !live, function () {
      var community = reg.community || {};
      return A.confirm({
        title: 'Invite ' + reg.full_name + ' again?',
        text: 'We will email ' + reg.email + ' a new invitation with a link to register.',
        yes: 'Send the invitation'
      }).then(function (ok) {
        if (!ok) return null;
        return A.api('POST', A.eventPath('/invitations'), {
          email: reg.email,
          full_name: reg.full_name,
          title: reg.title,
          organization: reg.organization,
          community: { name: community.name, state: community.state, country: community.country },
          kind: reg.kind
        }).then(function (res) {
          return done(res, 201, reg.full_name + ' has been invited again.');
        });
      });
    });

    /* A form in a panel that its button opens; closing it clears its errors. */
    function panel(buttonId, panelId, formId, summaryId, closeId, onOpen) {
      var button = C.byId(buttonId);
      var form = C.byId(formId);
      var errors = C.byId(summaryId);
      button.hidden = !live;
      var set = C.disclosure(button, C.byId(panelId), function () {
        C.clearErrors(section, summary);
        onOpen(form);
        C.byId(panelId).querySelector('h2').focus();
      });
      C.byId(closeId).addEventListener('click', function () {
        C.clearErrors(form, errors);
        set(false);
        button.focus();
      });
      return { form: form, summary: errors };
    }

    var DETAILS = ['full_name', 'title', 'organization', 'phone', 'dietary_requirements', 'accessibility_needs'];
    var details = panel('action-details', 'details-panel', 'details-form', 'details-errors', 'details-close', function (form) {
      C.clearErrors(form, C.byId('details-errors'));
      DETAILS.forEach(function (name) { C.setValue(form, name, reg[name] || ''); });
    });
    details.form.addEventListener('submit', C.guard(C.byId('details-save'), function () {
      // Only what was changed, so that the audit log shows the correction and nothing else;
      // an optional detail emptied is cleared (null).
      var body = {};
      DETAILS.forEach(function (name) {
        var value = C.value(details.form, name);
        if (value === String(reg[name] || '').trim()) return;
        body[name] = value === '' && ['phone', 'dietary_requirements', 'accessibility_needs'].indexOf(name) >= 0 ? null : value;
      });
      if (Object.keys(body).length === 0) {
        C.showErrors(details.form, details.summary, {}, 'Nothing has been changed. Correct a detail, or close the form.');
        return Promise.resolve();
      }
      return A.submit(details.form, details.summary, function () {
        return A.api('PATCH', path, body);
      }, 'registration').then(function (res) {
        if (res) reloadWith('The details of ' + ((res.data && res.data.full_name) || reg.full_name) + ' are corrected.');
      });
    }));

    var cancel = panel('action-cancel', 'cancel-panel', 'cancel-form', 'cancel-errors', 'cancel-close', function (form) {
      C.byId('cancel-consequences').textContent = 'We will email ' + reg.full_name + ' that their registration is cancelled. ' +
        'Their pending nomination and scholarship request are withdrawn, and ' +
        (reg.status === 'confirmed' ? 'their seat goes to the first on the waiting list. ' : 'they leave the waiting list. ') +
        'You can invite them again afterwards.';
      C.clearErrors(form, C.byId('cancel-errors'));
    });
    cancel.form.addEventListener('submit', C.guard(C.byId('cancel-send'), function () {
      var note = C.value(cancel.form, 'note');
      return A.confirm({
        title: 'Cancel the registration of ' + reg.full_name + '?',
        text: 'We will email them that it is cancelled' + (reg.status === 'confirmed' ? ', and their seat goes to the first on the waiting list.' : '.'),
        yes: 'Yes, cancel it',
        no: 'Keep it',
        warning: true
      }).then(function (ok) {
        if (!ok) return null;
        return A.submit(cancel.form, cancel.summary, function () {
          return A.api('POST', path + '/cancel', note ? { note: note } : {});
        }, 'registration').then(function (res) {
          if (res) reloadWith('The registration of ' + reg.full_name + ' is cancelled.');
        });
      });
    }));
  }

  A.register('registration', function (event) {
    var id = idFromPath();
    return A.all(A.eventPath('/registrations')).then(function (res) {
      if (res.status !== 200 || !res.data) return A.fail(res);
      var reg = (res.data.items || []).filter(function (r) { return r.id === id; })[0];
      if (!reg) return A.fail({ status: 404 }, 'registration');

      C.byId('page-title').textContent = reg.full_name;
      var tag = C.byId('registration-status');
      tag.textContent = A.words(reg.status);
      tag.className = A.tag(reg.status).className;
      C.byId('registration-kind').textContent = A.words(reg.kind) + '. Registered ' + A.moment(reg.created_at) +
        (reg.cancelled_at ? '; cancelled ' + A.moment(reg.cancelled_at) : '') + '.';
      C.summaryRows(C.byId('about'), [
        ['Email', reg.email],
        ['Job title', reg.title],
        ['Organization', reg.organization],
        ['Community', A.community(reg.community)],
        ['Phone', reg.phone]
      ]);
      actions(reg);
      C.summaryRows(C.byId('needs'), [
        ['Dietary requirements', reg.dietary_requirements, 'None given'],
        ['Accessibility needs', reg.accessibility_needs, 'None given']
      ]);

      var nominations = A.all(A.eventPath('/nominations')).then(function (r) {
        var mine = r.status === 200 && r.data ? (r.data.items || []).filter(function (n) {
          return (n.nominator && n.nominator.registration_id === id) || n.registration_id === id;
        }) : [];
        C.byId('nomination-none').hidden = mine.length > 0;
        var rows = [];
        mine.forEach(function (n) {
          rows.push(['Young leader', [n.full_name, n.title, n.organization].filter(Boolean).join(', ')]);
          rows.push(['Their email', n.email]);
          rows.push(['Reason', n.reason]);
          rows.push(['Status', A.el('span', {}, [A.tag(n.status), n.decided_at ? ' ' + A.moment(n.decided_at) : ''])]);
          if (n.decision_note) rows.push(['Note with the decision', n.decision_note]);
        });
        C.summaryRows(C.byId('nomination'), rows);
        C.byId('nomination').hidden = rows.length === 0;
        if (r.status !== 200) C.byId('nomination-none').textContent = 'The nominations cannot be shown at the moment.';
      });

      var scholarships = A.all(A.eventPath('/scholarships')).then(function (r) {
        var mine = r.status === 200 && r.data ? (r.data.items || []).filter(function (s) {
          return s.registration_id === id || (s.registration && s.registration.id === id) || (s.registrant && s.registrant.id === id);
        }) : [];
        C.byId('scholarship-none').hidden = mine.length > 0;
        var rows = [];
        mine.forEach(function (s) {
          rows.push(['Status', A.el('span', {}, [A.tag(s.status), s.decided_at ? ' ' + A.moment(s.decided_at) : ''])]);
          rows.push(['Travelers', A.number(s.travelers)]);
          rows.push(['Estimated cost', A.money(s.estimated_cost_cents, event.currency)]);
          rows.push(['Amount asked for', A.money(s.requested_amount_cents, event.currency)]);
          if (typeof s.awarded_amount_cents === 'number') rows.push(['Amount awarded', A.money(s.awarded_amount_cents, event.currency)]);
          if (s.award_status) {
            rows.push(['Their answer to the award', A.awardWords(s.award_status) + (s.award_status === 'offered' && s.reply_by ? ' (reply by ' + A.moment(s.reply_by) + ')' : '')]);
          }
          rows.push(['Why they need help', s.justification]);
          if (s.decision_note) rows.push(['Note with the decision', s.decision_note]);
        });
        C.summaryRows(C.byId('scholarship'), rows);
        C.byId('scholarship').hidden = rows.length === 0;
        if (r.status !== 200) C.byId('scholarship-none').textContent = 'The scholarship requests cannot be shown at the moment.';
      });

      var emails = A.all(A.eventPath('/emails')).then(function (r) {
        var address = String(reg.email || '').toLowerCase();
        var mine = r.status === 200 && r.data ? (r.data.items || []).filter(function (e) {
          return String(e.recipient || '').toLowerCase() === address;
        }) : [];
        C.byId('emails-none').hidden = mine.length > 0;
        C.byId('emails-table').closest('.table-wrap').hidden = mine.length === 0;
        A.table(C.byId('emails-table'), [
          { label: 'Subject', className: 'table__text', cell: function (e) { return e.subject; } },
          { label: 'Status', cell: function (e) { return A.tag(e.status); } },
          { label: 'Queued', className: 'table__nowrap', cell: function (e) { return A.when(e.created_at); } },
          { label: 'Sent', className: 'table__nowrap', cell: function (e) { return A.when(e.sent_at); } }
        ], mine);
      });

      return Promise.all([nominations, scholarships, emails]);
    });
  });
}());
