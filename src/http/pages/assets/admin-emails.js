/* convene dashboard — the event's outbox: every email with its status, attempts and last
   error, and sending a failed one again. */
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
        return null;
      });
    }

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
            var when = e.status === 'sent' ? 'Sent ' + A.when(e.sent_at)
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
      ], items, { rowClass: function (e) { return e.status === 'failed' ? 'table__row--highlight' : null; } });
      C.byId('emails-empty').hidden = items.length > 0;
      C.byId('emails-table').closest('.table-wrap').hidden = items.length === 0;
      A.pager('pager', total, LIMIT, offset, items.length);
    }

    return load();
  });
}());
