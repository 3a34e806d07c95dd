/* convene dashboard — invitations: invite one person, invite many from CSV (pasted or
   uploaded; commas, semicolons or tabs) where only the refused rows are left in the box,
   each with its problems, to be corrected and sent again; the list with filters and
   search, revoke, send again, and remind everyone who has not answered. */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;
  var LIMIT = 50;

  function describeErrors(errors) {
    return Object.keys(errors || {}).map(function (field) {
      var list = Array.isArray(errors[field]) ? errors[field] : [errors[field]];
      return field.replace(/_/g, ' ') + ': ' + list.join('; ');
    }).join('. ');
  }

  A.register('invitations', function () {
    var filters = A.filters(C.byId('invitation-filters'));
    var offset = A.offset();

    /* ----- the list ----- */

    function loadList() {
      var q = new URLSearchParams(filters);
      q.set('limit', String(LIMIT));
      q.set('offset', String(offset));
      return A.api('GET', A.eventPath('/invitations?' + q.toString())).then(function (res) {
        if (res.status !== 200 || !res.data) {
          if (res.status === 422) {
            C.byId('results-count').textContent = A.failure(res);
            return null;
          }
          return A.fail(res);
        }
        showList(res.data);
        return null;
      });
    }

    function actions(inv) {
      var open = inv.status === 'pending' || inv.status === 'sent';
      if (!open) return '';
      var who = A.el('span', { className: 'visually-hidden', text: ' the invitation of ' + inv.full_name });
      return A.el('div', { className: 'table__buttons' }, [
        A.el('button', { type: 'button', className: 'link-button', onclick: function () { resend(inv); } }, ['Send again', who.cloneNode(true)]),
        A.el('button', { type: 'button', className: 'link-button link-button--warning', onclick: function () { revoke(inv); } }, ['Revoke', who])
      ]);
    }

    function showList(data) {
      var items = Array.isArray(data.items) ? data.items : [];
      var total = typeof data.total === 'number' ? data.total : items.length;
      var filtered = Object.keys(filters).length > 0;
      C.byId('results-count').textContent = A.plural(total, 'invitation') + (filtered ? ' match these filters.' : ' in all.');
      A.table(C.byId('invitations-table'), [
        {
          label: 'Person',
          cell: function (i) {
            return [A.el('span', { text: i.full_name }),
              A.el('span', { className: 'table__secondary', text: i.title }),
              A.el('span', { className: 'table__secondary table__wrap', text: i.email })];
          }
        },
        { label: 'Community', cell: function (i) { return A.cellText(A.community(i.community), i.organization); } },
        { label: 'Kind', cell: function (i) { return A.words(i.kind); } },
        {
          label: 'Status',
          cell: function (i) {
            var reg = i.registration ? A.el('span', { className: 'table__secondary', text: 'Registration ' + A.words(i.registration.status).toLowerCase() }) : null;
            // The mail server accepted the email, then reported it undeliverable (or refused it).
            var mail = i.email_status === 'bounced' || i.email_status === 'failed'
              ? A.tag(i.email_status, i.email_status === 'bounced' ? 'Email bounced' : 'Email failed') : null;
            return [A.tag(i.status), mail, reg];
          }
        },
        { label: 'Sent', cell: function (i) { return A.cellText(A.when(i.sent_at || i.created_at), i.expires_at && (i.status === 'sent' || i.status === 'pending') ? 'Expires ' + A.when(i.expires_at) : ''); } },
        { label: 'Actions', className: 'table__actions', cell: actions }
      ], items, { rowClass: function (i) { return i.email_status === 'bounced' ? 'table__row--highlight' : null; } });
      C.byId('invitations-empty').hidden = items.length > 0;
      C.byId('invitations-table').closest('.table-wrap').hidden = items.length === 0;
      A.pager('pager', total, LIMIT, offset, items.length);
    }

    function revoke(inv) {
      A.confirm({
        title: 'Revoke the invitation of ' + inv.full_name + '?',
        text: 'Their link will stop working at once and they will not be able to register. This cannot be undone, but you can invite them again later.',
        yes: 'Revoke the invitation',
        warning: true
      }).then(function (ok) {
        if (!ok) return null;
        clearReport();
        return A.api('POST', A.eventPath('/invitations/' + encodeURIComponent(inv.id) + '/revoke'), {}).then(function (res) {
          return loadList().then(function () {
            A.notify(res.status === 200 ? 'The invitation of ' + inv.full_name + ' has been revoked.' : A.failure(res, 'invitation'));
          });
        });
      });
    }

    function resend(inv) {
      A.confirm({
        title: 'Send the invitation to ' + inv.full_name + ' again?',
        text: 'We will email ' + inv.email + ' a new link. The link in the earlier email will stop working.',
        yes: 'Send it again'
      }).then(function (ok) {
        if (!ok) return null;
        clearReport();
        return A.api('POST', A.eventPath('/invitations/' + encodeURIComponent(inv.id) + '/resend'), {}).then(function (res) {
          return loadList().then(function () {
            A.notify(res.status === 200 ? 'The invitation has been sent again to ' + inv.email + '.' : A.failure(res, 'invitation'));
          });
        });
      });
    }

    /* ----- remind everyone who has not answered ----- */

    var remindButton = C.byId('remind');
    remindButton.addEventListener('click', C.guard(remindButton, function () {
      clearReport();
      return A.api('GET', A.eventPath('/invitations?status=sent&limit=1')).then(function (res) {
        if (res.status !== 200 || !res.data) {
          A.notify(A.failure(res));
          return null;
        }
        var waiting = res.data.total || 0;
        if (waiting === 0) {
          A.notify('Everyone invited has answered, or their invitation has ended: there is nobody to remind.');
          return null;
        }
        return A.confirm({
          title: 'Remind ' + A.plural(waiting, 'person', 'people') + '?',
          text: 'We will email a reminder, with a new link, to ' + A.plural(waiting, 'person', 'people') +
            ' whose invitation was sent and who have not registered or declined. The links in their earlier emails will stop working.',
          yes: 'Send ' + A.plural(waiting, 'reminder')
        }).then(function (ok) {
          if (!ok) return null;
          return A.api('POST', A.eventPath('/invitations/remind'), {}).then(function (r) {
            return loadList().then(function () {
              A.notify(r.status === 200 && r.data
                ? 'Reminders sent to ' + A.plural(r.data.reminded, 'person', 'people') + '.'
                : A.failure(r));
            });
          });
        });
      });
    }));

    /* ----- invite one ----- */

    var oneForm = C.byId('invite-one-form');
    var oneSummary = C.byId('invite-one-errors');
    var oneOpen = C.byId('invite-one-open');
    var setOne = C.disclosure(oneOpen, C.byId('invite-one'), function () { C.byId('invite-email').focus(); });
    C.byId('invite-one-cancel').addEventListener('click', function () {
      C.clearErrors(oneForm, oneSummary);
      setOne(false);
      oneOpen.focus();
    });
    oneForm.addEventListener('submit', C.guard(C.byId('invite-one-send'), function () {
      var v = function (name) { return C.value(oneForm, name); };
      var body = {
        email: v('email'),
        full_name: v('full_name'),
        title: v('title'),
        community: { name: v('community.name'), state: v('community.state') },
        kind: v('kind') || 'executive'
      };
      if (v('community.country')) body.community.country = v('community.country');
      if (v('organization')) body.organization = v('organization');
      if (v('message')) body.message = v('message');
      clearReport();
      A.clearNotice();
      return A.submit(oneForm, oneSummary, function () {
        return A.api('POST', A.eventPath('/invitations'), body);
      }, 'invitation').then(function (res) {
        if (!res) return null;
        oneForm.reset();
        setOne(false);
        return loadList().then(function () {
          A.notify('Invitation sent to ' + body.full_name + ' (' + body.email + ').');
        });
      });
    }));

    /* ----- invite many ----- */

    var manyForm = C.byId('invite-many-form');
    var manySummary = C.byId('invite-many-errors');
    var manyOpen = C.byId('invite-many-open');
    var setMany = C.disclosure(manyOpen, C.byId('invite-many'), function () { C.byId('invite-csv-file').focus(); });
    C.byId('invite-many-cancel').addEventListener('click', function () {
      C.clearErrors(manyForm, manySummary);
      clearReport();
      setMany(false);
      manyOpen.focus();
    });
    C.byId('invite-csv-file').addEventListener('change', function (event) {
      var file = event.target.files && event.target.files[0];
      if (!file) return;
      clearReport();
      var reader = new FileReader();
      reader.onload = function () { C.byId('invite-csv').value = String(reader.result || ''); };
      reader.onerror = function () {
        C.showErrors(manyForm, manySummary, { csv: ['the file could not be read; paste its rows instead'] });
      };
      reader.readAsText(file);
    });

    var manyBox = C.byId('invite-csv');
    var manyFile = C.byId('invite-csv-file');

    /** Hides the last upload's report: after any other action its counts are stale. */
    function clearReport() {
      C.byId('bulk-report').hidden = true;
    }

    /** What the upload left to do: the refused rows, now alone in the box (the server
        gives them back as sent, under the header), each listed with its problems. */
    function report(data) {
      var refused = (Array.isArray(data.rows) ? data.rows : []).filter(function (r) { return r.status !== 'created'; });
      manyBox.value = data.refused_csv || '';
      manyFile.value = '';
      C.byId('bulk-report-summary').textContent = A.plural(data.created || 0, 'invitation') + ' sent; ' +
        A.plural(refused.length, 'row') + ' refused. ' +
        (refused.length === 1 ? 'It is' : 'They are') + ' left alone in the box above: correct ' +
        (refused.length === 1 ? 'it' : 'them') + ' and send again.';
      A.table(C.byId('bulk-table'), [
        { label: 'Row in the box', numeric: true, cell: function (r) { return String(refused.indexOf(r) + 1); } },
        { label: 'Person', className: 'table__wrap', cell: function (r) { return A.cellText(r.full_name || '', r.email || ''); } },
        { label: 'Problems', className: 'table__text', cell: function (r) { return r.errors ? describeErrors(r.errors) : ''; } }
      ], refused, { rowClass: function () { return 'table__row--highlight'; } });
      C.byId('bulk-report').hidden = false;
      var title = C.byId('bulk-report-title');
      title.scrollIntoView({ block: 'start' });
      title.focus({ preventScroll: true });
    }

    manyForm.addEventListener('submit', C.guard(C.byId('invite-many-send'), function () {
      var text = manyBox.value;
      clearReport();
      A.clearNotice();
      if (!text.trim()) {
        C.showErrors(manyForm, manySummary, { csv: ['choose a CSV file or paste the rows, starting with the header row'] });
        return Promise.resolve();
      }
      return A.submit(manyForm, manySummary, function () {
        return A.apiText('POST', A.eventPath('/invitations/bulk'), text, 'text/csv');
      }, 'event').then(function (res) {
        if (!res || !res.data) return null;
        var data = res.data;
        if (data.refused > 0) {
          report(data);
          return loadList();
        }
        // Everything went: nothing left to correct.
        manyBox.value = '';
        manyFile.value = '';
        setMany(false);
        return loadList().then(function () {
          A.notify(A.plural(data.created || 0, 'invitation') + ' sent.');
        });
      });
    }));

    // A header problem is reported on `header`; show it at the box of rows.
    var original = C.findControl;
    C.findControl = function (form, path) {
      if (form === manyForm && (path === 'header' || path === 'body')) return C.byId('invite-csv');
      return original(form, path);
    };

    return loadList();
  });
}());
