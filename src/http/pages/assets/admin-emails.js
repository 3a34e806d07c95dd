/* convene dashboard — the event's outbox: every email with its status, attempts and last
   error, and sending failed ones again, one or all. */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;
  var LIMIT = 50;

  A.register('emails', function () {
    var filters = A.filters(C.byId('email-filters'));
    var offset = A.offset();

    function load() {
      var q = new URLSearchParams(filters);
      q.set('limit', String(LIMIT));
      q.set('offset', String(offset));
      return A.api('GET', A.eventPath('/emails?' + q.toString())).then(function (res) {
        if (res.status === 422) {
          C.byId('results-count').textContent = A.failure(res);
          return null;
        }
        if (res.status !== 200 || !res.data) return A.fail(res);
        show(res.data);
        return loadFailedCount();
      });
    }

    // The button that sends every failed email again shows only when there are some.
    function loadFailedCount() {
      return A.api('GET', A.eventPath('/emails?status=failed&limit=1')).then(function (res) {
        var n = res.status === 200 && res.data && typeof res.data.total === 'number' ? res.data.total : 0;
        C.byId('resend-failed-row').hidden = n === 0;
        C.byId('resend-failed').textContent = 'Send every failed email again (' + A.number(n) + ')';
        return null;
      });
    }

    function resendFailed() {
      return A.confirm({
        title: 'Send every failed email again?',
        text: 'Do this once the cause is fixed (a wrong mail server password, a full mailbox). Each failed email is queued again and sent in a moment; emails whose link is no longer kept stay failed.',
        yes: 'Send them again'
      }).then(function (ok) {
        if (!ok) return null;
        return A.api('POST', A.eventPath('/emails/resend-failed'), {}).then(function (res) {
          return load().then(function () {
            if (res.status !== 200 || !res.data) return A.notify(A.failure(res, 'event'));
            var text = A.plural(res.data.requeued, 'failed email') + ' will be sent again in a moment.';
            if (res.data.not_resendable > 0) {
              text += ' ' + A.plural(res.data.not_resendable, 'email') + ' could not be: their link is no longer kept.';
            }
            return A.notify(text);
          });
        });
      });
    }

    var resendAll = C.byId('resend-failed');
    resendAll.addEventListener('click', C.guard(resendAll, resendFailed));

    function resend(email, button) {
      return A.api('POST', A.eventPath('/emails/' + encodeURIComponent(email.id) + '/resend'), {}).then(function (res) {
        return load().then(function () {
          A.notify(res.status === 200
            ? 'The email “' + email.subject + '” to ' + email.recipient + ' will be sent again in a moment.'
            : A.failure(res, 'email'));
        });
      });
    }

    function show(data) {
      var items = Array.isArray(data.items) ? data.items : [];
      var total = typeof data.total === 'number' ? data.total : items.length;
      C.byId('results-count').textContent = A.plural(total, 'email') + (filters.status ? ' ' + A.words(filters.status).toLowerCase() + '.' : ' in all.');
      A.table(C.byId('emails-table'), [
        {
          label: 'Email',
          className: 'table__text',
          cell: function (e) {
            return [A.el('span', { text: e.subject }),
              A.el('span', { className: 'table__secondary table__wrap', text: 'To ' + e.recipient }),
              A.el('span', { className: 'table__secondary', text: A.words(e.template) + ', queued ' + A.when(e.created_at) })];
          }
        },
        {
          label: 'Status',
          cell: function (e) {
            var when = (e.status === 'sent' || e.status === 'bounced') ? 'Sent ' + A.when(e.sent_at)
              : (e.status === 'pending' && e.attempts > 0 ? 'Next try ' + A.when(e.next_attempt_at) : '');
            return [A.tag(e.status), when ? A.el('span', { className: 'table__secondary', text: when }) : null];
          }
        },
        { label: 'Attempts', numeric: true, cell: function (e) { return A.number(e.attempts); } },
        { label: 'Last error', className: 'table__text', cell: function (e) { return e.last_error ? A.el('span', { className: 'error-text', text: e.last_error }) : ''; } },
        {
          label: 'Actions',
          className: 'table__actions',
          cell: function (e) {
            if (e.status !== 'failed') return '';
            var b = A.el('button', { type: 'button', className: 'link-button' }, ['Send again', A.el('span', { className: 'visually-hidden', text: ' to ' + e.recipient })]);
            b.addEventListener('click', C.guard(b, function () { return resend(e, b); }));
            return b;
          }
        }
      ], items, { rowClass: function (e) { return e.status === 'failed' || e.status === 'bounced' ? 'table__row--highlight' : null; } });
      C.byId('emails-empty').hidden = items.length > 0;
      C.byId('emails-table').closest('.table-wrap').hidden = items.length === 0;
      A.pager('pager', total, LIMIT, offset, items.length);
    }

    return load();
  });
}());
