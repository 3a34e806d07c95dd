/* convene dashboard — announcements: write one, count its recipients first (a dry run),
   send it once (an Idempotency-Key per written announcement, so a second click or a
   retry sends nothing more), and list them with how their emails fared. */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;

  A.register('announcements', function () {
    var form = C.byId('announcement-form');
    var summary = C.byId('announcement-errors');
    var count = C.byId('recipient-count');
    var send = C.byId('announcement-send');
    var key = null;
    var counted = null;

    function newKey() {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
    }

    function ticked(name) {
      return Array.prototype.filter.call(form.querySelectorAll('input[name="' + name + '"]'), function (c) {
        return c.checked;
      }).map(function (c) { return c.value; });
    }

    function request(dryRun) {
      var audience = {};
      ['registration_statuses', 'invitation_statuses', 'kinds'].forEach(function (list) {
        var values = ticked('audience.' + list);
        if (values.length) audience[list] = values;
      });
      return {
        subject: C.value(form, 'subject'),
        body: C.value(form, 'body'),
        audience: audience,
        dry_run: dryRun
      };
    }

    /* Anything changed after counting must be counted again before it is sent. */
    function stale() {
      counted = null;
      key = null;
      send.hidden = true;
      count.textContent = '';
    }
    form.addEventListener('input', stale);
    form.addEventListener('change', stale);

    function audienceWords(a) {
      var parts = [];
      if (a.registration_statuses) parts.push('registrations: ' + a.registration_statuses.map(A.words).join(', ').toLowerCase());
      if (a.invitation_statuses) parts.push('invitations: ' + a.invitation_statuses.map(A.words).join(', ').toLowerCase());
      if (a.kinds) parts.push('kinds: ' + a.kinds.map(A.words).join(', ').toLowerCase());
      return parts.join('; ');
    }

    function load() {
      return A.api('GET', A.eventPath('/announcements')).then(function (res) {
        if (res.status !== 200 || !res.data) return A.fail(res);
        show(Array.isArray(res.data.items) ? res.data.items : []);
        return null;
      });
    }

    function show(items) {
      C.byId('results-count').textContent = A.plural(items.length, 'announcement') + '.';
      A.table(C.byId('announcements-table'), [
        {
          label: 'Announcement',
          className: 'table__text',
          cell: function (a) {
            return [A.el('span', { text: a.subject }),
              A.el('span', { className: 'table__secondary table__wrap', text: audienceWords(a.audience || {}) }),
              A.el('span', { className: 'table__secondary', text: 'Sent ' + A.when(a.created_at) })];
          }
        },
        { label: 'Recipients', numeric: true, cell: function (a) { return A.number(a.recipients); } },
        { label: 'Delivered', numeric: true, cell: function (a) { return A.number(a.sent); } },
        { label: 'Waiting', numeric: true, cell: function (a) { return A.number(a.pending); } },
        { label: 'Failed', numeric: true, cell: function (a) { return A.number(a.failed); } }
      ], items, { rowClass: function (a) { return a.failed > 0 ? 'table__row--highlight' : null; } });
      C.byId('announcements-empty').hidden = items.length > 0;
      C.byId('announcements-table').closest('.table-wrap').hidden = items.length === 0;
    }

    form.addEventListener('submit', C.guard(C.byId('announcement-count'), function () {
      var body = request(true);
      return A.submit(form, summary, function () {
        return A.api('POST', A.eventPath('/announcements'), body);
      }, 'announcement').then(function (res) {
        if (!res) return null;
        counted = res.data.recipients;
        key = newKey();
        count.textContent = counted === 0
          ? 'Nobody is in these groups: there is no one to send it to.'
          : 'This announcement will go to ' + A.plural(counted, 'person', 'people') + '.';
        send.textContent = 'Send to ' + A.plural(counted, 'person', 'people');
        send.hidden = counted === 0;
        return null;
      });
    }));

    send.addEventListener('click', C.guard(send, function () {
      if (counted === null || key === null) return Promise.resolve(null);
      var body = request(false);
      var thisKey = key;
      return A.submit(form, summary, function () {
        return A.api('POST', A.eventPath('/announcements'), body, { 'Idempotency-Key': thisKey });
      }, 'announcement').then(function (res) {
        if (!res) return null;
        form.reset();
        stale();
        return load().then(function () {
          A.notify('Announcement “' + body.subject + '” sent to ' + A.plural(res.data.recipients, 'person', 'people') + '.');
        });
      });
    }));

    return load();
  });
}());
