/* convene dashboard — for admins: the organizer accounts (add, change role, disable and
   enable) and the audit log (who did what to whom, filtered by person and kind of act). */
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

  var NAIVE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;

  /** A value as people read it: an organizer's name for their id, money in the event's
      currency, a time in the event's zone, a status in words. `ctx`: {people, event}. */
  function readable(key, v, ctx) {
    if (v === null || v === undefined || v === '') return '–';
    if (typeof v === 'boolean') return v ? 'Yes' : 'No';
    if (typeof v === 'number' && /_cents$/.test(key)) return A.money(v, ctx.event && ctx.event.currency);
    if (typeof v === 'number') return A.number(v);
    if (typeof v === 'string' && ctx.people[v]) return ctx.people[v];
    if (typeof v === 'string' && NAIVE_TIME.test(v)) {
      // Stored times are UTC, most without a zone.
      var at = /(Z|[+-]\d{2}:\d{2})$/.test(v) ? v : v + 'Z';
      return ctx.event && ctx.event.timezone ? C.formatMoment(at, ctx.event.timezone) : A.moment(at);
    }
    if (typeof v === 'string' && /(^|_)(status|kind|role)$/.test(key)) return A.words(v);
    var s = typeof v === 'string' ? v : JSON.stringify(v);
    return s.length > 80 ? s.slice(0, 77) + '…' : s;
  }

  /** "awarded_amount_cents" -> "Awarded amount", "decided_by" -> "Decided by". */
  function fieldName(key) {
    return A.words(key.replace(/_cents$/, '').replace(/_at$/, ''));
  }

  /** The fields that changed between two states, one line each: "Field: before → after". */
  function changes(before, after, ctx) {
    if (!after && !before) return '';
    if (!before) return 'Created';
    if (!after) return 'Removed';
    var skip = { updated_at: true, token_hash: true, manage_token_hash: true, password_hash: true };
    var keys = Object.keys(Object.assign({}, before, after)).filter(function (k) {
      return !skip[k] && JSON.stringify(before[k]) !== JSON.stringify(after[k]);
    });
    var lines = keys.slice(0, 6).map(function (k) {
      return A.el('li', { text: fieldName(k) + ': ' + readable(k, before[k], ctx) + ' → ' + readable(k, after[k], ctx) });
    });
    if (keys.length > 6) lines.push(A.el('li', { text: 'and ' + (keys.length - 6) + ' more' }));
    return A.el('ul', { className: 'audit-changes' }, lines);
  }

  /** The record an entry is about, with the person it concerns (named by the API),
      linked to their registration when they have one. */
  function record(e) {
    var p = e.person;
    var ev = e.event;
    var who = null;
    if (p && p.registration_id && ev) {
      who = A.el('a', {
        className: 'link',
        href: '/admin/events/' + encodeURIComponent(ev.slug) + '/registrations/' + encodeURIComponent(p.registration_id),
        text: p.full_name || 'Their registration'
      });
    } else if (p) {
      who = p.full_name || p.email;
    } else if (e.entity_type === 'event' && ev) {
      who = ev.name;
    }
    return [A.el('span', { text: A.words(e.entity_type) }),
      who ? A.el('span', { className: 'table__secondary' }, [who]) : null,
      ev && e.entity_type !== 'event' ? A.el('span', { className: 'table__secondary', text: ev.name }) : null];
  }

  /** When, in the entry's event's time zone (named), or in UTC for what has no event. */
  function when(e) {
    return C.formatMoment(e.occurred_at, e.event ? e.event.timezone : 'UTC');
  }

  A.register('audit', function () {
    var form = C.byId('audit-filters');
    var summary = C.byId('audit-errors');
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
        events[e.id] = e;
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
      if (res.status === 422 && res.data && res.data.errors) {
        // A filter from the address that the API refuses: named, with the form to fix it,
        // and no "nothing matches", which would not be true.
        var named = { before: 'Older entries', limit: 'Entries per page' };
        var errors = {};
        Object.keys(res.data.errors).forEach(function (k) { errors[named[k] || k] = res.data.errors[k]; });
        A.showPage();
        show(res, []);
        C.byId('audit-empty').hidden = true;
        C.showErrors(form, summary, errors);
        return null;
      }
      if (res.status !== 200 || !res.data) return A.fail(res);
      return show(res, res.data.items || []);
    });

    function show(res, items) {
      var ctx = function (e) {
        return { people: people, event: events[e.event_id] || (e.entity_type === 'event' ? e.after || e.before : null) };
      };
      A.table(C.byId('audit-table'), [
        { label: 'When', className: 'table__nowrap', cell: when },
        {
          label: 'Who',
          cell: function (e) {
            if (e.actor === 'organizer') return people[e.actor_id] || 'An organizer';
            return { system: 'The service', registrant: 'The registrant', invitee: 'The invitee', cli: 'The command line', public: 'Someone on the public page' }[e.actor] || A.words(e.actor);
          }
        },
        {
          label: 'What',
          // The words, and the code of the kind of act.
          cell: function (e) {
            return [A.el('span', { text: A.words(String(e.action).replace(/\./g, ' ')) }),
              A.el('span', { className: 'table__secondary' }, [A.el('code', { text: e.action })])];
          }
        },
        { label: 'About', cell: record },
        { label: 'Changes', className: 'table__text', cell: function (e) { return changes(e.before, e.after, ctx(e)); } }
      ], items);
      C.byId('audit-empty').hidden = items.length > 0;
      C.byId('audit-table').closest('.table-wrap').hidden = items.length === 0;
      var older = C.byId('audit-older');
      if (res.data && res.data.next_before) {
        var next = A.query();
        next.set('before', String(res.data.next_before));
        older.href = window.location.pathname + '?' + next.toString();
        older.hidden = false;
      }
      return null;
    }
  });
}());
