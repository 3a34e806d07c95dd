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

    var webhooks = A.webhooks ? A.webhooks() : null;
    return Promise.all([load(), webhooks]);
  });
}());
