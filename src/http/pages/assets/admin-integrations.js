/* convene dashboard — for admins: API tokens (make one and see its secret once, list,
   revoke) and webhooks (add one and see its secret once, list, deliveries, remove). */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;

  function status(s) {
    return A.tag(s === 'active' ? 'confirmed' : 'cancelled', A.words(s));
  }

  A.register('integrations', function () {
    var form = C.byId('token-form');
    var summary = C.byId('token-errors');
    var open = C.byId('token-open');
    var setOpen = C.disclosure(open, C.byId('add-token'), function () { C.byId('token-name').focus(); });
    C.byId('token-cancel').addEventListener('click', function () {
      C.clearErrors(form, summary);
      setOpen(false);
      open.focus();
    });

    function load() {
      return A.api('GET', '/auth/tokens').then(function (res) {
        if (res.status !== 200 || !res.data) return A.fail(res);
        show(res.data.items || []);
        return null;
      });
    }

    function show(items) {
      A.table(C.byId('tokens-table'), [
        { label: 'Name', cell: function (t) { return A.cellText(t.name, t.created_by); } },
        { label: 'Role', cell: function (t) { return A.words(t.role); } },
        { label: 'Status', cell: function (t) { return status(t.status); } },
        { label: 'Made', cell: function (t) { return A.when(t.created_at); } },
        { label: 'Expires', cell: function (t) { return t.expires_at ? A.when(t.expires_at) : 'Never'; } },
        {
          label: 'Actions',
          className: 'table__actions',
          cell: function (t) {
            if (t.status === 'revoked') return '';
            var b = A.el('button', { type: 'button', className: 'link-button link-button--warning' },
              ['Revoke', A.el('span', { className: 'visually-hidden', text: ' ' + t.name })]);
            b.addEventListener('click', C.guard(b, function () {
              return A.confirm({
                title: 'Revoke ' + t.name + '?',
                text: 'Anything using it is refused from now on. This cannot be undone.',
                yes: 'Revoke the token',
                warning: true
              }).then(function (ok) {
                if (!ok) return null;
                return A.api('DELETE', '/auth/tokens/' + encodeURIComponent(t.id)).then(function (res) {
                  return load().then(function () {
                    A.notify(res.status === 204 ? t.name + ' has been revoked.' : A.failure(res, 'token'));
                  });
                });
              });
            }));
            return b;
          }
        }
      ], items, { rowClass: function (t) { return t.status === 'active' ? null : 'table__row--muted'; } });
    }

    form.addEventListener('submit', C.guard(C.byId('token-save'), function () {
      var expires = C.value(form, 'expires_at');
      var body = { name: C.value(form, 'name'), role: C.value(form, 'role') };
      // The browser's local time, as the API wants it: RFC 3339 in UTC.
      if (expires) {
        var at = new Date(expires);
        body.expires_at = isNaN(at.getTime()) ? expires : at.toISOString();
      }
      return A.submit(form, summary, function () { return A.api('POST', '/auth/tokens', body); }, 'token').then(function (res) {
        if (!res) return null;
        form.reset();
        setOpen(false);
        C.byId('token-secret').textContent = res.data.token;
        C.byId('token-secret-box').hidden = false;
        return load().then(function () {
          C.byId('token-secret-title').focus();
        });
      });
    }));

    return Promise.all([load(), webhooks()]);
  });

  /* ---------- webhooks ---------- */

  function webhooks() {
    var form = C.byId('hook-form');
    var summary = C.byId('hook-errors');
    var open = C.byId('hook-open');
    var setOpen = C.disclosure(open, C.byId('add-hook'), function () { C.byId('hook-url').focus(); });
    C.byId('hook-cancel').addEventListener('click', function () {
      C.clearErrors(form, summary);
      setOpen(false);
      open.focus();
    });

    function load() {
      return A.api('GET', '/webhooks').then(function (res) {
        if (res.status !== 200 || !res.data) return A.fail(res);
        show(res.data.items || []);
        return null;
      });
    }

    function deliveries(h) {
      return A.api('GET', '/webhooks/' + encodeURIComponent(h.id) + '/deliveries?limit=50').then(function (res) {
        if (res.status !== 200 || !res.data) { A.notify(A.failure(res, 'webhook')); return null; }
        C.byId('deliveries-title').textContent = 'Deliveries to ' + h.url + ' (' + res.data.total + ')';
        A.table(C.byId('deliveries-table'), [
          { label: 'Event', cell: function (d) { return A.el('code', { text: d.event_type }); } },
          { label: 'Status', cell: function (d) { return A.tag(d.status === 'delivered' ? 'confirmed' : (d.status === 'failed' ? 'cancelled' : 'pending'), A.words(d.status)); } },
          { label: 'Attempts', cell: function (d) { return String(d.attempts); } },
          { label: 'Last answer', cell: function (d) { return d.last_response_code ? String(d.last_response_code) : (d.last_error || '–'); } },
          { label: 'Queued', cell: function (d) { return A.when(d.created_at); } }
        ], res.data.items || []);
        C.byId('deliveries-box').hidden = false;
        C.byId('deliveries-title').focus();
        return null;
      });
    }

    function show(items) {
      A.table(C.byId('hooks-table'), [
        { label: 'URL', className: 'table__text', cell: function (h) { return A.cellText(h.url, h.events.join(', ')); } },
        { label: 'Status', cell: function (h) { return h.status === 'disabled' ? A.tag('cancelled', 'Disabled') : (h.failing_since ? A.tag('pending', 'Failing') : A.tag('confirmed', 'Active')); } },
        { label: 'Added', cell: function (h) { return A.when(h.created_at); } },
        {
          label: 'Actions',
          className: 'table__actions',
          cell: function (h) {
            var see = A.el('button', { type: 'button', className: 'link-button' }, ['Deliveries', A.el('span', { className: 'visually-hidden', text: ' to ' + h.url })]);
            see.addEventListener('click', C.guard(see, function () { return deliveries(h); }));
            var remove = A.el('button', { type: 'button', className: 'link-button link-button--warning' }, ['Remove', A.el('span', { className: 'visually-hidden', text: ' ' + h.url })]);
            remove.addEventListener('click', C.guard(remove, function () {
              return A.confirm({
                title: 'Remove the webhook to ' + h.url + '?',
                text: 'Nothing more is sent to it, and its deliveries are removed with it.',
                yes: 'Remove the webhook',
                warning: true
              }).then(function (ok) {
                if (!ok) return null;
                return A.api('DELETE', '/webhooks/' + encodeURIComponent(h.id)).then(function (res) {
                  C.byId('deliveries-box').hidden = true;
                  return load().then(function () {
                    A.notify(res.status === 204 ? 'The webhook has been removed.' : A.failure(res, 'webhook'));
                  });
                });
              });
            }));
            return A.el('div', {}, [see, ' ', remove]);
          }
        }
      ], items, { rowClass: function (h) { return h.status === 'disabled' ? 'table__row--muted' : null; } });
    }

    form.addEventListener('submit', C.guard(C.byId('hook-save'), function () {
      var events = Array.prototype.slice.call(form.querySelectorAll('input[name="events"]:checked')).map(function (i) { return i.value; });
      var body = { url: C.value(form, 'url'), events: events };
      return A.submit(form, summary, function () { return A.api('POST', '/webhooks', body); }, 'webhook').then(function (res) {
        if (!res) return null;
        form.reset();
        setOpen(false);
        C.byId('hook-secret').textContent = res.data.secret;
        C.byId('hook-secret-box').hidden = false;
        return load().then(function () {
          C.byId('hook-secret-title').focus();
        });
      });
    }));

    return load();
  }
}());
