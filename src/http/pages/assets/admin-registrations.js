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

  A.register('registrations', function () {
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
     nothing on it is stale, with the outcome shown at its top. */
  function actions(reg) {
    var path = A.eventPath('/registrations/' + encodeURIComponent(reg.id));
    function done(res, ok, message) {
      if (res.status === ok) {
        A.flash(message);
        window.location.reload();
        return null;
      }
      A.notify(A.failure(res, 'registration'));
      return null;
    }
    function wire(id, visible, task) {
      var button = C.byId(id);
      if (!button) return;
      button.hidden = !visible;
      button.addEventListener('click', C.guard(button, task));
    }
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
    wire('action-cancel', reg.status !== 'cancelled', function () {
      return A.confirm({
        title: 'Cancel the registration of ' + reg.full_name + '?',
        text: 'We will email them that it is cancelled. Their pending nomination and scholarship request are withdrawn, and ' +
          (reg.status === 'confirmed' ? 'their seat goes to the first on the waiting list. ' : 'they leave the waiting list. ') +
          'You can invite them again afterwards.',
        yes: 'Cancel the registration',
        no: 'Keep it',
        warning: true
      }).then(function (ok) {
        if (!ok) return null;
        return A.api('POST', path + '/cancel', {}).then(function (res) {
          return done(res, 200, 'The registration of ' + reg.full_name + ' is cancelled.');
        });
      });
    });
    wire('action-reinvite', reg.status === 'cancelled', function () {
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
