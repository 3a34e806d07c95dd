/* convene dashboard — events: the list, the create and change form, and one event's
   overview (its numbers at a glance and a chart of registrations over time). */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;

  /* ---------- the list ---------- */

  A.register('events', function () {
    var filters = A.filters(C.byId('events-filters'));
    var path = '/events' + (filters.status ? '?status=' + encodeURIComponent(filters.status) : '');
    return A.api('GET', path).then(function (res) {
      if (res.status !== 200 || !res.data) return A.fail(res);
      var items = Array.isArray(res.data.items) ? res.data.items : [];
      var columns = [
        { label: 'Event', cell: function (e) { return A.cellLink('/admin/events/' + encodeURIComponent(e.slug), e.name, e.slug); } },
        { label: 'Dates', cell: function (e) { return A.shortDay(e.starts_on) + (e.ends_on && e.ends_on !== e.starts_on ? ' to ' + A.shortDay(e.ends_on) : ''); } },
        { label: 'Where', cell: function (e) { return A.cellText(e.city, e.venue); } },
        { label: 'Status', cell: function (e) { return A.tag(e.status); } },
        { label: 'Registration', cell: function (e) { return e.registration_open ? 'Open now' : 'Not open'; } },
        { label: 'Capacity', numeric: true, cell: function (e) { return A.number(e.capacity); } }
      ];
      if (A.isAdmin) {
        columns.push({
          label: 'Actions',
          className: 'table__actions',
          cell: function (e) {
            return A.el('a', { className: 'link', href: '/admin/events/' + encodeURIComponent(e.slug) + '/edit' }, [
              'Change', A.el('span', { className: 'visually-hidden', text: ' ' + e.name })
            ]);
          }
        });
      }
      A.table(C.byId('events-table'), columns, items);
      C.byId('events-empty').hidden = items.length > 0;
      C.byId('events-table').closest('.table-wrap').hidden = items.length === 0;
    });
  });

  /* ---------- create and change ---------- */

  A.register('event-form', function (event) {
    var form = C.byId('event-form');
    var summary = C.byId('error-summary');
    var editing = !!event;
    var original = event || null;

    if (editing) {
      C.setValue(form, 'name', event.name);
      C.setValue(form, 'slug', event.slug);
      C.setValue(form, 'venue', event.venue);
      C.setValue(form, 'city', event.city);
      C.setValue(form, 'starts_on', event.starts_on);
      C.setValue(form, 'ends_on', event.ends_on);
      C.setValue(form, 'timezone', event.timezone);
      C.setValue(form, 'capacity', event.capacity);
      C.setValue(form, 'currency', event.currency);
      C.setValue(form, 'scholarship_budget_cents', C.centsToInput(event.scholarship_budget_cents));
      C.setValue(form, 'status', event.status);
      C.setValue(form, 'registration_opens_at', A.utcToWall(event.registration_opens_at, event.timezone));
      C.setValue(form, 'registration_closes_at', A.utcToWall(event.registration_closes_at, event.timezone));
      C.setValue(form, 'description', event.description);
      C.setValue(form, 'practical_info', event.practical_info);
      C.setValue(form, 'contact_email', event.contact_email);
      C.setValue(form, 'program', event.program);
      C.setValue(form, 'invitation_ttl_days', event.invitation_ttl_days);
      C.setValue(form, 'nominations_per_executive', event.nominations_per_executive);
      C.setValue(form, 'reminder_days_before', event.reminder_days_before);
      C.setValue(form, 'retention_days', event.retention_days);
    } else {
      C.setValue(form, 'timezone', 'America/New_York');
      C.setValue(form, 'currency', 'USD');
      C.setValue(form, 'status', 'open');
      C.setValue(form, 'invitation_ttl_days', 30);
      C.setValue(form, 'nominations_per_executive', 1);
      C.setValue(form, 'reminder_days_before', 3);
      C.setValue(form, 'retention_days', 365);
    }
    C.control(form, 'currency').addEventListener('input', function () {
      var code = C.value(form, 'currency').toUpperCase();
      document.querySelectorAll('[data-currency-prefix]').forEach(function (el) {
        el.textContent = /^[A-Z]{3}$/.test(code) ? C.currencySymbol(code) : '$';
      });
    });

    function build() {
      var v = function (name) { return C.value(form, name); };
      var errors = {};
      var body = {
        name: v('name'),
        slug: v('slug'),
        venue: v('venue'),
        city: v('city'),
        timezone: v('timezone'),
        currency: v('currency').toUpperCase(),
        status: v('status')
      };
      // Every rule that can be checked here is, so that one round names every mistake:
      // a refusal here would otherwise hide the service's verdict on the other fields.
      [['name', 'the event’s name'], ['slug', 'a short name for addresses'], ['venue', 'the venue'],
        ['city', 'the city'], ['timezone', 'the time zone'], ['currency', 'the currency']].forEach(function (pair) {
        if (!body[pair[0]]) errors[pair[0]] = ['enter ' + pair[1]];
      });
      if (body.slug && (body.slug.length < 3 || body.slug.length > 64)) {
        errors.slug = ['must be 3 to 64 characters'];
      } else if (body.slug && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(body.slug)) {
        errors.slug = ['may contain only lowercase letters, digits and single hyphens, and must start and end with a letter or digit'];
      }
      if (body.currency && !/^[A-Z]{3}$/.test(body.currency)) errors.currency = ['enter a three-letter code, like USD'];
      [['starts_on', 'the first day'], ['ends_on', 'the last day']].forEach(function (pair) {
        var d = v(pair[0]);
        if (!d) errors[pair[0]] = ['enter ' + pair[1]];
        else if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) errors[pair[0]] = ['enter ' + pair[1] + ' as a date, like 2027-04-30'];
        else body[pair[0]] = d;
      });
      var capacity = v('capacity');
      if (!capacity) errors.capacity = ['enter the number of seats'];
      else if (!/^\d{1,6}$/.test(capacity)) errors.capacity = ['enter the number of seats as a whole number, like 120'];
      else if (parseInt(capacity, 10) < 1) errors.capacity = ['enter at least 1 seat'];
      else body.capacity = parseInt(capacity, 10);
      if (body.starts_on && body.ends_on && body.ends_on < body.starts_on) errors.ends_on = ['must not be before the first day'];
      var budget = A.amount(form, 'scholarship_budget_cents', errors, 'the travel scholarship budget (0 for none)');
      if (budget !== null) body.scholarship_budget_cents = budget;
      body.description = v('description');
      body.practical_info = v('practical_info');
      // Empty clears the address or programme (null); a new event simply has none.
      ['contact_email', 'program'].forEach(function (name) {
        if (v(name)) body[name] = v(name);
        else if (editing) body[name] = null;
      });
      [['invitation_ttl_days', 'the number of days', true], ['nominations_per_executive', 'the number of young leaders', true],
        ['reminder_days_before', 'the number of days', false], ['retention_days', 'the number of days', true]].forEach(function (f) {
        var raw = v(f[0]);
        if (!raw) {
          if (f[2]) errors[f[0]] = ['enter ' + f[1]];
          else body[f[0]] = null;
        } else if (!/^\d{1,4}$/.test(raw)) {
          errors[f[0]] = ['enter ' + f[1] + ' as a whole number, like 3'];
        } else {
          body[f[0]] = parseInt(raw, 10);
        }
      });
      [['invitation_ttl_days', 1, 365], ['nominations_per_executive', 0, 10], ['reminder_days_before', 1, 30], ['retention_days', 30, 3650]].forEach(function (r) {
        var n = body[r[0]];
        if (typeof n === 'number' && (n < r[1] || n > r[2])) errors[r[0]] = ['must be from ' + r[1] + ' to ' + r[2]];
      });
      if (body.contact_email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(body.contact_email)) {
        errors.contact_email = ['enter an email address, like team@example.org'];
      }

      var zoneOk = true;
      try { A.zoneOffset(body.timezone || 'UTC', Date.now()); } catch (e) { zoneOk = false; }
      if (body.timezone && !zoneOk) errors.timezone = ['must be an IANA time zone such as America/New_York'];
      [['registration_opens_at', 'the time registration opens'], ['registration_closes_at', 'the time registration closes']].forEach(function (pair) {
        var wall = v(pair[0]);
        if (!wall) {
          // Left empty: when changing, clear the opening time; the closing time then
          // follows the start date.
          if (editing && pair[0] === 'registration_opens_at' && original.registration_opens_at) body[pair[0]] = null;
          return;
        }
        if (!zoneOk || !body.timezone) return;
        var at = A.wallToUtc(wall, body.timezone);
        if (!at) errors[pair[0]] = ['enter ' + pair[1] + ' as a date and time'];
        else body[pair[0]] = at;
      });
      if (body.registration_opens_at && body.registration_closes_at &&
        Date.parse(body.registration_opens_at) >= Date.parse(body.registration_closes_at)) {
        errors.registration_opens_at = ['must be before the time registration closes'];
      }
      if (editing) {
        // Send only what changed, so that an untouched default is not fixed in place.
        if (body.registration_closes_at && original.registration_closes_at &&
          Date.parse(body.registration_closes_at) === Date.parse(original.registration_closes_at)) {
          delete body.registration_closes_at;
        }
        if (body.registration_opens_at && original.registration_opens_at &&
          Date.parse(body.registration_opens_at) === Date.parse(original.registration_opens_at)) {
          delete body.registration_opens_at;
        }
      }
      return { body: body, errors: errors };
    }

    form.addEventListener('submit', C.guard(C.byId('event-save'), function () {
      var built = build();
      if (Object.keys(built.errors).length) {
        C.showErrors(form, summary, built.errors);
        return Promise.resolve();
      }
      return A.submit(form, summary, function () {
        return editing
          ? A.api('PATCH', A.eventPath(), built.body)
          : A.api('POST', '/events', built.body);
      }, 'event').then(function (res) {
        if (!res || !res.data) return;
        A.flash(editing ? 'The event has been saved.' : 'The event has been created.');
        window.location.assign('/admin/events/' + encodeURIComponent(res.data.slug || built.body.slug));
      });
    }));
  });

  /* ---------- one event's overview ---------- */

  function set(id, value) {
    var el = C.byId(id);
    if (el) el.textContent = value;
  }

  function n(obj, key) {
    return obj && typeof obj[key] === 'number' ? obj[key] : null;
  }

  function sum(obj, keys) {
    if (!obj) return null;
    var total = 0;
    var any = false;
    keys.forEach(function (k) {
      if (typeof obj[k] === 'number') { total += obj[k]; any = true; }
    });
    return any ? total : null;
  }

  function showSummary(event) {
    var closes = C.formatMoment(event.registration_closes_at, event.timezone);
    var opens = event.registration_opens_at ? C.formatMoment(event.registration_opens_at, event.timezone) : 'Now';
    var status = A.el('span', {}, [A.tag(event.status), ' ', event.registration_open ? 'Registration is open.' : 'Registration is not open.']);
    C.summaryRows(C.byId('event-summary'), [
      ['Dates', C.formatDays(event.starts_on, event.ends_on)],
      ['Venue', [event.venue, event.city].filter(Boolean).join(', ')],
      ['Status', status],
      ['Registration window', opens + ' to ' + closes],
      ['Time zone', event.timezone],
      ['Capacity', A.plural(event.capacity, 'seat')],
      ['Travel scholarship budget', A.money(event.scholarship_budget_cents, event.currency)]
    ]);
  }

  function showStats(stats, event) {
    var cur = (stats.event && stats.event.currency) || event.currency;
    var reg = stats.registrations || {};
    var ev = stats.event || {};
    set('stat-confirmed', A.number(n(reg, 'confirmed')));
    set('stat-waitlisted', A.number(n(reg, 'waitlisted')));
    set('stat-cancelled', A.number(n(reg, 'cancelled')));
    set('stat-seats-left', A.number(n(ev, 'seats_left')));
    set('stat-seats-taken', A.number(n(ev, 'seats_taken')));
    set('stat-capacity', A.number(n(ev, 'capacity') === null ? event.capacity : ev.capacity));
    set('stat-waitlist', A.number(n(reg, 'waitlisted')));
    set('stat-communities-registered', A.number(n(stats.communities, 'registered')));
    set('stat-communities-invited', A.number(n(stats.communities, 'invited')));
    var waiting = function (count, one, many) {
      return count === null ? C.capitalise(many) : A.plural(count, one, many);
    };
    set('stat-requests-pending', waiting(n(stats.invitation_requests, 'pending'), 'request for an invitation', 'requests for an invitation'));
    set('stat-nominations-pending', waiting(n(stats.nominations, 'pending'), 'nomination', 'nominations'));
    set('stat-scholarships-pending', waiting(n(stats.scholarships, 'pending'), 'scholarship request', 'scholarship requests'));
    var s = stats.scholarships || {};
    var money = function (v) { return typeof v === 'number' ? A.money(v, s.currency || cur) : '–'; };
    set('stat-budget-left', money(s.left_cents));
    set('stat-budget-awarded', money(s.awarded_cents));
    set('stat-budget', money(typeof s.budget_cents === 'number' ? s.budget_cents : event.scholarship_budget_cents));
    set('stat-budget-requested', money(s.requested_cents));
    set('stat-emails-failed', A.number(n(stats.emails, 'failed')));
    set('stat-emails-pending', A.number(n(stats.emails, 'pending')));
    set('stat-emails-sent', A.number(n(stats.emails, 'sent')));
    var inv = stats.invitations || {};
    set('stat-invitations-open', A.number(sum(inv, ['pending', 'sent'])));
    set('stat-invitations-accepted', A.number(n(inv, 'accepted')));
    set('stat-invitations-declined', A.number(n(inv, 'declined')));
    set('stat-invitations-closed', A.number(sum(inv, ['revoked', 'expired'])));
  }

  /** Registrations per day from the list itself, when the numbers cannot be had. */
  function countByDay(registrations) {
    var days = {};
    registrations.forEach(function (r) {
      var d = String(r.created_at || '').slice(0, 10);
      if (d) days[d] = (days[d] || 0) + 1;
    });
    return Object.keys(days).sort().map(function (d) { return { date: d, count: days[d] }; });
  }

  var SVG = 'http://www.w3.org/2000/svg';

  function svg(name, attrs, text) {
    var el = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) el.textContent = text;
    return el;
  }

  /** A nice round step for about `ticks` gridlines up to `max`. */
  function step(max, ticks) {
    var raw = Math.max(1, max / ticks);
    var pow = Math.pow(10, Math.floor(Math.log10(raw)));
    var candidates = [1, 2, 5, 10];
    for (var i = 0; i < candidates.length; i++) {
      if (candidates[i] * pow >= raw) return candidates[i] * pow;
    }
    return 10 * pow;
  }

  /** Draws daily registrations as bars and the running total as a line, in inline SVG
      (no library). The same numbers are in a table below it for screen readers. */
  function chart(points) {
    var box = C.byId('chart');
    box.textContent = '';
    var hasData = points.length > 0 && points.some(function (p) { return p.count > 0; });
    C.byId('chart-empty').hidden = hasData;
    C.byId('chart-data').hidden = !hasData;
    if (!hasData) return;

    var total = 0;
    var series = points.map(function (p) {
      total += p.count;
      return { date: p.date, count: p.count, total: total };
    });
    var W = 720;
    var H = 260;
    var left = 44;
    var right = 12;
    var top = 12;
    var bottom = 36;
    var plotW = W - left - right;
    var plotH = H - top - bottom;
    var gap = step(total, 4);
    var max = Math.ceil(total / gap) * gap;
    var y = function (v) { return top + plotH - (v / max) * plotH; };
    var slot = plotW / series.length;
    var barW = Math.max(2, Math.min(40, slot * 0.6));
    var x = function (i) { return left + slot * i + slot / 2; };

    var first = series[0].date;
    var last = series[series.length - 1].date;
    var description = A.plural(total, 'registration') + ' from ' + A.shortDay(first) + ' to ' + A.shortDay(last) +
      '; the busiest day had ' + A.plural(Math.max.apply(null, series.map(function (p) { return p.count; })), 'registration') + '.';

    var root = svg('svg', {
      class: 'chart__svg', viewBox: '0 0 ' + W + ' ' + H, role: 'img',
      'aria-labelledby': 'chart-svg-title chart-svg-desc', focusable: 'false'
    });
    root.appendChild(svg('title', { id: 'chart-svg-title' }, 'Registrations over time'));
    root.appendChild(svg('desc', { id: 'chart-svg-desc' }, description));

    for (var v = 0; v <= max; v += gap) {
      root.appendChild(svg('line', { class: v === 0 ? 'chart__axis' : 'chart__grid', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
      root.appendChild(svg('text', { class: 'chart__label chart__label--end', x: left - 8, y: y(v) + 4 }, String(v)));
    }
    series.forEach(function (p, i) {
      if (p.count > 0) {
        root.appendChild(svg('rect', {
          class: 'chart__bar', x: x(i) - barW / 2, y: y(p.count), width: barW, height: Math.max(1, y(0) - y(p.count))
        }));
      }
    });
    var line = series.map(function (p, i) { return (i ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(p.total).toFixed(1); }).join(' ');
    root.appendChild(svg('path', { class: 'chart__line', d: line }));
    series.forEach(function (p, i) {
      if (series.length <= 40) root.appendChild(svg('circle', { class: 'chart__dot', cx: x(i), cy: y(p.total), r: 3.5 }));
    });
    // Dates under the axis: the first, the last, and a few between.
    var every = Math.max(1, Math.ceil(series.length / 6));
    series.forEach(function (p, i) {
      if (i % every === 0 || i === series.length - 1) {
        if (i !== series.length - 1 && series.length - 1 - i < every / 2) return;
        root.appendChild(svg('text', { class: 'chart__label chart__label--middle', x: x(i), y: H - bottom + 20 },
          A.shortDay(p.date).replace(/, \d{4}$/, '')));
      }
    });

    var legend = A.el('ul', { className: 'chart__legend', 'aria-hidden': 'true' }, [
      A.el('li', {}, [A.el('span', { className: 'chart__key' }), 'New registrations that day']),
      A.el('li', {}, [A.el('span', { className: 'chart__key chart__key--line' }), 'Running total'])
    ]);
    box.appendChild(legend);
    box.appendChild(root);

    A.table(C.byId('chart-table'), [
      { label: 'Day', cell: function (p) { return A.shortDay(p.date); } },
      { label: 'New registrations', numeric: true, cell: function (p) { return A.number(p.count); } },
      { label: 'Running total', numeric: true, cell: function (p) { return A.number(p.total); } }
    ], series, { rowHeaders: true });
  }

  A.register('overview', function (event) {
    showSummary(event);
    return A.stats().then(function (stats) {
      if (stats) {
        showStats(stats, event);
        chart(Array.isArray(stats.registrations_over_time) ? stats.registrations_over_time : []);
        return null;
      }
      // Without the numbers (an older server), show what the registrations tell.
      var note = C.byId('stats-note');
      note.textContent = 'Some numbers cannot be shown at the moment; those marked – are not available.';
      note.hidden = false;
      return A.all(A.eventPath('/registrations')).then(function (res) {
        if (res.status !== 200 || !res.data) return;
        var counts = res.data.counts || {};
        showStats({
          event: { capacity: event.capacity, seats_taken: counts.confirmed, seats_left: Math.max(0, event.capacity - (counts.confirmed || 0)) },
          registrations: counts
        }, event);
        chart(countByDay(res.data.items || []));
      });
    });
  });
}());
