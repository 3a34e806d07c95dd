/* convene dashboard — for admins: the organizer accounts (add, change role, disable and
   enable) and the audit log (who did what, filtered). */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;

  /* ---------- organizers ---------- */

  A.register('organizers', function () {
    var form = C.byId('add-form');
    var summary = C.byId('add-errors');
    var open = C.byId('add-open');
    var setOpen = C.disclosure(open, C.byId('add-organizer'), function () { C.byId('organizer-name').focus(); });
    C.byId('add-cancel').addEventListener('click', function () {
      C.clearErrors(form, summary);
      setOpen(false);
      open.focus();
    });

    function load() {
      return A.api('GET', '/organizers').then(function (res) {
        if (res.status !== 200 || !res.data) return A.fail(res);
        show(res.data.items || []);
        return null;
      });
    }

    function change(o, body, done) {
      return A.api('PATCH', '/organizers/' + encodeURIComponent(o.id), body).then(function (res) {
        // The list first, then the message: what it says is already on the page.
        return load().then(function () { A.notify(res.status === 200 ? done : A.failure(res, 'organizer')); });
      });
    }

    function roleControl(o) {
      if (o.id === A.me.id) return A.words(o.role) + ' (you)';
      var id = 'role-' + o.id;
      var select = A.el('select', { className: 'select', id: id }, [
        A.el('option', { value: 'reviewer', text: 'Reviewer' }),
        A.el('option', { value: 'admin', text: 'Admin' })
      ]);
      select.value = o.role;
      var save = A.el('button', { type: 'button', className: 'link-button' }, ['Change role', A.el('span', { className: 'visually-hidden', text: ' of ' + o.name })]);
      save.addEventListener('click', C.guard(save, function () {
        if (select.value === o.role) {
          A.notify(o.name + ' is already ' + (o.role === 'admin' ? 'an admin' : 'a reviewer') + '.');
          return Promise.resolve();
        }
        return change(o, { role: select.value }, o.name + ' is now ' + (select.value === 'admin' ? 'an admin' : 'a reviewer') + '. They must sign in again.');
      }));
      return A.el('div', { className: 'inline-control' }, [
        A.el('label', { className: 'visually-hidden', for: id, text: 'Role of ' + o.name }),
        select, ' ', save
      ]);
    }

    function show(items) {
      A.table(C.byId('organizers-table'), [
        { label: 'Name', cell: function (o) { return A.cellText(o.name, o.email); } },
        { label: 'Role', cell: roleControl },
        { label: 'Status', cell: function (o) { return o.disabled ? A.tag('disabled', 'Disabled') : A.tag('confirmed', 'Active'); } },
        { label: 'Added', cell: function (o) { return A.when(o.created_at); } },
        {
          label: 'Actions',
          className: 'table__actions',
          cell: function (o) {
            if (o.id === A.me.id) return '';
            var b = A.el('button', { type: 'button', className: 'link-button' + (o.disabled ? '' : ' link-button--warning') },
              [o.disabled ? 'Enable' : 'Disable', A.el('span', { className: 'visually-hidden', text: ' ' + o.name })]);
            b.addEventListener('click', C.guard(b, function () {
              if (o.disabled) return change(o, { disabled: false }, o.name + ' can sign in again.');
              return A.confirm({
                title: 'Disable ' + o.name + '?',
                text: 'They will be signed out at once and cannot sign in until an admin enables the account again. What they did stays in the audit log.',
                yes: 'Disable the account',
                warning: true
              }).then(function (ok) {
                return ok ? change(o, { disabled: true }, o.name + ' has been disabled.') : null;
              });
            }));
            return b;
          }
        }
      ], items, { rowClass: function (o) { return o.disabled ? 'table__row--muted' : null; } });
    }

    form.addEventListener('submit', C.guard(C.byId('add-save'), function () {
      var body = {
        name: C.value(form, 'name'),
        email: C.value(form, 'email'),
        role: C.value(form, 'role'),
        password: C.byId('organizer-password').value
      };
      return A.submit(form, summary, function () { return A.api('POST', '/organizers', body); }, 'organizer').then(function (res) {
        if (!res) return null;
        form.reset();
        setOpen(false);
        return load().then(function () {
          A.notify(body.name + ' has been added as ' + (body.role === 'admin' ? 'an admin' : 'a reviewer') + '.');
        });
      });
    }));

    return load();
  });

  /* ---------- audit log ---------- */

  /** The fields that changed between two states, as "field: before → after". */
  function changes(before, after) {
    if (!after && !before) return '';
    if (!before) return 'Created';
    if (!after) return 'Removed';
    var skip = { updated_at: true, token_hash: true, manage_token_hash: true, password_hash: true };
    var keys = Object.keys(Object.assign({}, before, after)).filter(function (k) {
      return !skip[k] && JSON.stringify(before[k]) !== JSON.stringify(after[k]);
    });
    var show = function (v) {
      if (v === null || v === undefined) return '–';
      // Stored times are UTC without a zone: show them as the other times are shown.
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v)) return A.when(v + 'Z');
      var s = typeof v === 'string' ? v : JSON.stringify(v);
      return s.length > 60 ? s.slice(0, 57) + '…' : s;
    };
    return keys.slice(0, 6).map(function (k) { return k + ': ' + show(before[k]) + ' → ' + show(after[k]); }).join('; ') +
      (keys.length > 6 ? '; and ' + (keys.length - 6) + ' more' : '');
  }

  A.register('audit', function () {
    var form = C.byId('audit-filters');
    var people = {};
    var events = {};
    var lists = Promise.all([
      A.api('GET', '/organizers'),
      A.api('GET', '/events')
    ]).then(function (answers) {
      var who = C.byId('filter-actor');
      ((answers[0].data && answers[0].data.items) || []).forEach(function (o) {
        people[o.id] = o.name;
        who.appendChild(A.el('option', { value: o.id, text: o.name }));
      });
      var ev = C.byId('filter-event');
      ((answers[1].data && answers[1].data.items) || []).forEach(function (e) {
        events[e.id] = e.name;
        ev.appendChild(A.el('option', { value: e.slug, text: e.name }));
      });
    });
    return lists.then(function () {
      var filters = A.filters(form);
      var q = new URLSearchParams(filters);
      q.set('limit', '50');
      var before = A.query().get('before');
      if (before) q.set('before', before);
      return A.api('GET', '/audit-log?' + q.toString());
    }).then(function (res) {
      if (res.status !== 200 || !res.data) return A.fail(res);
      var items = res.data.items || [];
      A.table(C.byId('audit-table'), [
        { label: 'When', className: 'table__nowrap', cell: function (e) { return A.when(e.occurred_at); } },
        {
          label: 'Who',
          cell: function (e) {
            if (e.actor === 'organizer') return people[e.actor_id] || 'An organizer';
            return { system: 'The service', registrant: 'The registrant', invitee: 'The invitee', cli: 'The command line', public: 'Someone on the public page' }[e.actor] || A.words(e.actor);
          }
        },
        { label: 'Action', cell: function (e) { return A.el('code', { text: e.action }); } },
        { label: 'Record', cell: function (e) { return A.cellText(A.words(e.entity_type), e.event_id && events[e.event_id] ? events[e.event_id] : ''); } },
        { label: 'Changes', className: 'table__text', cell: function (e) { return changes(e.before, e.after); } }
      ], items);
      C.byId('audit-empty').hidden = items.length > 0;
      C.byId('audit-table').closest('.table-wrap').hidden = items.length === 0;
      var older = C.byId('audit-older');
      if (res.data.next_before) {
        var next = A.query();
        next.set('before', String(res.data.next_before));
        older.href = window.location.pathname + '?' + next.toString();
        older.hidden = false;
      }
      return null;
    });
  });
}());
