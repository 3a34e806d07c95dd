/* convene — helpers shared by the invitation and manage pages (window.Convene).
   The pages are clients of the JSON API. Everything from the API is written with
   textContent, never as HTML. No inline scripts or styles: the CSP forbids them. */
(function () {
  'use strict';

  var C = {};
  var baseTitle = document.title;

  C.byId = function (id) { return document.getElementById(id); };

  /** The token from /invite/{token} or /manage/{token}; it never leaves this origin. */
  C.tokenFromPath = function () {
    var parts = window.location.pathname.split('/');
    try { return decodeURIComponent(parts[2] || ''); } catch (e) { return ''; }
  };

  /** Calls the API, with `headers` added if given. Resolves to {status, data}; status 0
      when the network failed. */
  C.api = function (method, path, body, headers) {
    var options = {
      method: method,
      headers: { Accept: 'application/json, application/problem+json' },
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error'
    };
    Object.keys(headers || {}).forEach(function (name) { options.headers[name] = headers[name]; });
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        if (text) {
          try { data = JSON.parse(text); } catch (e) { data = null; }
        }
        return { status: res.status, data: data };
      }, function () { return { status: res.status, data: null }; });
    }, function () { return { status: 0, data: null }; });
  };

  /** The `detail` of a problem+json answer, if it has one. */
  C.problemDetail = function (data) {
    return data && typeof data.detail === 'string' ? data.detail : '';
  };

  C.setText = function (selectorOrEl, text) {
    var els = typeof selectorOrEl === 'string'
      ? document.querySelectorAll(selectorOrEl) : [selectorOrEl];
    Array.prototype.forEach.call(els, function (el) { if (el) el.textContent = text; });
  };

  /** Shows one whole-page state (a `[data-state]` element) and hides the others. After
      something the person did (`moveFocus`), focus goes to its heading so that screen
      readers announce the change; on first load it stays put, so the skip link comes first. */
  C.showState = function (id, title, moveFocus) {
    var loading = C.byId('loading');
    if (loading) loading.hidden = true;
    document.querySelectorAll('[data-state]').forEach(function (el) {
      el.hidden = el.id !== id;
    });
    if (title) C.setTitle(title);
    var target = C.byId(id);
    if (!target) return;
    var heading = target.querySelector('h1');
    window.scrollTo(0, 0);
    if (heading && moveFocus) {
      if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
  };

  C.showLoading = function () {
    document.querySelectorAll('[data-state]').forEach(function (el) { el.hidden = true; });
    var loading = C.byId('loading');
    if (loading) loading.hidden = false;
  };

  C.setTitle = function (title, isError) {
    var suffix = baseTitle.indexOf('convene') >= 0 ? ' – convene' : '';
    document.title = (isError ? 'Error: ' : '') + title + suffix;
  };

  C.capitalise = function (s) {
    s = String(s || '').trim();
    return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
  };

  /* ---------- dates and money ---------- */

  function parseDay(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso || ''));
    return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null;
  }

  var DAY = { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' };

  /** "Tuesday, November 23, 2027" from "2027-11-23". */
  C.formatDay = function (iso) {
    var d = parseDay(iso);
    if (!d) return String(iso || '');
    try { return new Intl.DateTimeFormat('en-US', DAY).format(d); } catch (e) { return iso; }
  };

  /** "Tuesday, November 23 – Thursday, November 25, 2027" */
  C.formatDays = function (start, end) {
    var a = parseDay(start);
    var b = parseDay(end);
    if (!a) return String(start || '');
    if (!b || b.getTime() === a.getTime()) return C.formatDay(start);
    try {
      var f = new Intl.DateTimeFormat('en-US', DAY);
      if (typeof f.formatRange === 'function') return f.formatRange(a, b);
    } catch (e) { /* fall through */ }
    return C.formatDay(start) + ' to ' + C.formatDay(end);
  };

  /** A moment in the event's time zone: "November 20, 2027 at 5:00 PM EST". */
  C.formatMoment = function (rfc3339, timeZone) {
    var d = new Date(rfc3339);
    if (!rfc3339 || isNaN(d.getTime())) return '';
    var opts = {
      year: 'numeric', month: 'long', day: 'numeric',
      hour: 'numeric', minute: '2-digit', timeZoneName: 'short'
    };
    try {
      return new Intl.DateTimeFormat('en-US', Object.assign({ timeZone: timeZone }, opts)).format(d);
    } catch (e) {
      return new Intl.DateTimeFormat('en-US', opts).format(d);
    }
  };

  /** Integer cents in a currency: 125050, "USD" -> "$1,250.50". */
  C.formatMoney = function (cents, currency) {
    if (typeof cents !== 'number' || !isFinite(cents)) return '';
    var code = /^[A-Z]{3}$/.test(currency || '') ? currency : 'USD';
    try {
      return new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).format(cents / 100);
    } catch (e) {
      return (cents / 100).toFixed(2) + ' ' + code;
    }
  };

  /** The symbol shown before an amount field ("$"), or the currency code. */
  C.currencySymbol = function (currency) {
    var code = /^[A-Z]{3}$/.test(currency || '') ? currency : 'USD';
    try {
      var parts = new Intl.NumberFormat('en-US', { style: 'currency', currency: code, currencyDisplay: 'narrowSymbol' })
        .formatToParts(0);
      for (var i = 0; i < parts.length; i++) {
        if (parts[i].type === 'currency') return parts[i].value;
      }
    } catch (e) { /* fall through */ }
    return code;
  };

  /** Reads an amount typed in currency units ("1,250.50", "$800") as integer cents,
      without floating point. Returns {cents}, {empty: true} or {invalid: true}. */
  C.parseAmount = function (raw) {
    var s = String(raw || '').replace(/[\s,]/g, '').replace(/^(?:US\$|[A-Z]{3}|[$€£¥])/i, '');
    if (String(raw || '').trim() === '') return { empty: true };
    var m = /^(\d{0,10})(?:\.(\d{1,2}))?$/.exec(s);
    if (!m || (m[1] === '' && m[2] === undefined)) return { invalid: true };
    var whole = m[1] === '' ? 0 : parseInt(m[1], 10);
    var fraction = m[2] === undefined ? 0 : parseInt((m[2] + '0').slice(0, 2), 10);
    return { cents: whole * 100 + fraction };
  };

  /** Cents back to what a person types: 125050 -> "1250.50", 80000 -> "800". */
  C.centsToInput = function (cents) {
    if (typeof cents !== 'number' || !isFinite(cents)) return '';
    var whole = Math.floor(cents / 100);
    var rest = cents % 100;
    return rest ? whole + '.' + (rest < 10 ? '0' : '') + rest : String(whole);
  };

  /* ---------- forms ---------- */

  function escapeName(name) {
    return window.CSS && CSS.escape ? CSS.escape(name) : name.replace(/["\\]/g, '\\$&');
  }

  C.control = function (form, name) {
    return form.querySelector('[name="' + escapeName(name) + '"]');
  };

  /** The trimmed value of the control with this name ('' when there is none). */
  C.value = function (form, name) {
    var el = C.control(form, name);
    return el ? String(el.value || '').trim() : '';
  };

  C.setValue = function (form, name, value) {
    var el = C.control(form, name);
    if (el && value !== undefined && value !== null) el.value = String(value);
  };

  /** Finds the control for an API error key (a dotted JSON path): the control of that
      name, else the first control inside that object ("community" -> community.name),
      else the same for the parent path. */
  C.findControl = function (form, path) {
    var p = String(path || '');
    while (p) {
      var exact = C.control(form, p);
      if (exact) return exact;
      var inside = form.querySelector('[name^="' + escapeName(p + '.') + '"]');
      if (inside) return inside;
      var dot = p.lastIndexOf('.');
      p = dot > 0 ? p.slice(0, dot) : '';
    }
    return null;
  };

  function describedBy(control, id, on) {
    var ids = (control.getAttribute('aria-describedby') || '').split(/\s+/)
      .filter(function (x) { return x && x !== id; });
    if (on) ids.push(id);
    if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
    else control.removeAttribute('aria-describedby');
  }

  C.labelOf = function (control) {
    return control.getAttribute('data-label') || control.name || 'This field';
  };

  /** Opens the conditional section holding a control (a ticked checkbox reveals it). */
  function reveal(control) {
    var box = control.closest('.conditional');
    if (!box || !box.hidden) return;
    var toggle = document.querySelector('[aria-controls="' + escapeName(box.id) + '"]');
    if (toggle && toggle.type === 'checkbox') toggle.checked = true;
    box.hidden = false;
  }

  /** A message may name another field by its API name ("must not exceed
      estimated_cost_cents"): say it as the person reads it, by its label. */
  function humanise(form, message) {
    return String(message).replace(/\b[a-z]+(?:_[a-z]+)+\b/g, function (word) {
      var control = form.querySelector('[name="' + escapeName(word) + '"], [name$=".' + escapeName(word) + '"]');
      return control ? 'the ' + C.labelOf(control).replace(/\?$/, '').toLowerCase() : word;
    });
  }

  /** Removes every error message, mark and summary item from a form. */
  C.clearErrors = function (form, summary) {
    form.querySelectorAll('.form-group--error').forEach(function (g) {
      g.classList.remove('form-group--error');
    });
    form.querySelectorAll('[aria-invalid]').forEach(function (c) {
      c.removeAttribute('aria-invalid');
      describedBy(c, c.id + '-error', false);
    });
    form.querySelectorAll('.error-message').forEach(function (e) {
      e.textContent = '';
      e.hidden = true;
    });
    if (summary) {
      summary.hidden = true;
      summary.querySelector('.error-summary__list').textContent = '';
      var message = summary.querySelector('.error-summary__message');
      message.textContent = '';
      message.hidden = true;
    }
    C.setTitle(document.title.replace(/^Error: /, '').replace(/ – convene$/, ''));
  };

  /** Shows errors the GOV.UK way: a summary at the top (focused, announced) with a link
      to each field, and the same message at the field, tied to it with aria-describedby.
      `fieldErrors` is the API's `errors` object: {"a.b": ["message", ...]}.
      `message` is a problem that belongs to no field (a conflict, a lapsed invitation). */
  C.showErrors = function (form, summary, fieldErrors, message) {
    C.clearErrors(form, summary);
    var list = summary.querySelector('.error-summary__list');
    var messageEl = summary.querySelector('.error-summary__message');
    var perControl = [];
    Object.keys(fieldErrors || {}).forEach(function (path) {
      var raw = fieldErrors[path];
      var messages = (Array.isArray(raw) ? raw : [raw]).map(function (m) {
        return C.capitalise(humanise(form, typeof m === 'string' ? m : (m && m.message) || 'Check this answer'));
      }).filter(Boolean);
      var text = messages.join('. ');
      var control = C.findControl(form, path);
      var existing = null;
      for (var i = 0; i < perControl.length; i++) {
        if (control && perControl[i].control === control) existing = perControl[i];
      }
      if (existing) existing.text += '. ' + text;
      else perControl.push({ control: control, text: text, path: path });
    });

    // In the order of the page, not of the API's keys; unplaced errors go last.
    perControl.sort(function (a, b) {
      if (!a.control || !b.control) return (a.control ? 0 : 1) - (b.control ? 0 : 1);
      return a.control.compareDocumentPosition(b.control) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });

    perControl.forEach(function (item) {
      var li = document.createElement('li');
      if (item.control) {
        var control = item.control;
        reveal(control);
        var group = control.closest('.form-group');
        if (group) group.classList.add('form-group--error');
        control.setAttribute('aria-invalid', 'true');
        var err = C.byId(control.id + '-error');
        if (err) {
          err.textContent = '';
          var prefix = document.createElement('span');
          prefix.className = 'visually-hidden';
          prefix.textContent = 'Error: ';
          err.appendChild(prefix);
          err.appendChild(document.createTextNode(item.text));
          err.hidden = false;
          describedBy(control, err.id, true);
        }
        var a = document.createElement('a');
        a.href = '#' + control.id;
        var label = C.labelOf(control);
        a.textContent = label + (/[?.:]$/.test(label) ? ' ' : ': ') + item.text;
        a.addEventListener('click', function (event) {
          event.preventDefault();
          var label = form.querySelector('label[for="' + escapeName(control.id) + '"]');
          (label || control).scrollIntoView({ block: 'start' });
          control.focus({ preventScroll: true });
        });
        li.appendChild(a);
      } else {
        li.textContent = (item.path && item.path !== 'body' ? item.path + ': ' : '') + item.text;
      }
      list.appendChild(li);
    });

    if (message) {
      messageEl.textContent = message;
      messageEl.hidden = false;
    }
    summary.hidden = false;
    C.setTitle(document.title.replace(/ – convene$/, ''), true);
    summary.scrollIntoView({ block: 'start' });
    summary.focus({ preventScroll: true });
  };

  /** What to tell someone when a request failed in a way that no field explains. */
  C.failureMessage = function (res, what) {
    var detail = C.problemDetail(res.data);
    switch (res.status) {
      case 0:
        return 'We could not reach the service. Check your internet connection and try again. What you typed is still here.';
      case 400:
      case 415:
        return 'The service could not read the form. Check your answers and try again.' + (detail ? ' (' + detail + ')' : '');
      case 403:
        return 'The service refused this request. Reload the page and try again.';
      case 404:
        return 'We cannot find this ' + what + ' any more. Check that you used the whole link from your email.';
      case 409:
        return detail || 'This cannot be done now: the ' + what + ' has changed. Reload the page to see where it stands.';
      case 410:
        return 'This invitation can no longer be used: it has expired or the organizers have withdrawn it.' +
          (detail ? ' (' + detail + ')' : '') + ' Contact the organizing team that invited you.';
      case 429:
        return 'Too many attempts. Wait a minute, then try again. What you typed is still here.';
      case 503:
        return 'The service is busy or being updated. Try again in a few minutes. What you typed is still here.';
      default:
        return 'Sorry, something went wrong on our side. Try again in a few minutes. What you typed is still here.';
    }
  };

  /** Runs `task` (returning a promise) at most once at a time, marking the button busy
      (aria-disabled, not disabled, so that keyboard focus stays on it). */
  C.guard = function (button, task) {
    var running = false;
    return function (event) {
      if (event) event.preventDefault();
      if (running) return;
      running = true;
      if (button) button.setAttribute('aria-disabled', 'true');
      var done = function () {
        running = false;
        if (button) button.removeAttribute('aria-disabled');
      };
      Promise.resolve().then(task).then(done, function (e) {
        done();
        if (window.console) console.error(e);
      });
    };
  };

  /** A checkbox that shows or hides the section named in its aria-controls. */
  C.conditionalReveal = function (checkbox) {
    var target = C.byId(checkbox.getAttribute('aria-controls'));
    if (!target) return;
    var sync = function () { target.hidden = !checkbox.checked; };
    checkbox.addEventListener('change', sync);
    sync();
  };

  /** A button that opens and closes a panel (aria-expanded on the button). */
  C.disclosure = function (button, panel, onOpen) {
    var set = function (open) {
      panel.hidden = !open;
      button.setAttribute('aria-expanded', open ? 'true' : 'false');
      if (open && onOpen) onOpen();
    };
    button.addEventListener('click', function () { set(panel.hidden); });
    return set;
  };

  /** Fills a <dl class="summary-list"> with [label, value] rows. */
  C.summaryRows = function (dl, rows) {
    dl.textContent = '';
    rows.forEach(function (row) {
      var div = document.createElement('div');
      div.className = 'summary-list__row';
      var dt = document.createElement('dt');
      dt.className = 'summary-list__key';
      dt.textContent = row[0];
      var dd = document.createElement('dd');
      dd.className = 'summary-list__value';
      var value = row[1];
      if (value === undefined || value === null || String(value).trim() === '') {
        dd.textContent = row[2] || 'Not given';
        dd.classList.add('summary-list__value--empty');
      } else if (value instanceof Node) {
        dd.appendChild(value);
      } else {
        dd.textContent = String(value);
      }
      div.appendChild(dt);
      div.appendChild(dd);
      dl.appendChild(div);
    });
  };

  C.tag = function (text, colour, large) {
    var strong = document.createElement('strong');
    strong.className = 'tag tag--' + colour + (large ? ' tag--large' : '');
    strong.textContent = text;
    return strong;
  };

  /** Words and colour for a registration status. */
  C.registrationStatus = function (status) {
    switch (status) {
      case 'confirmed': return { text: 'Confirmed', colour: 'green' };
      case 'waitlisted': return { text: 'On the waiting list', colour: 'yellow' };
      case 'cancelled': return { text: 'Cancelled', colour: 'grey' };
      default: return { text: C.capitalise(status || 'Unknown'), colour: 'grey' };
    }
  };

  /** Fills the event details shared by both pages. */
  C.showEvent = function (event) {
    event = event || {};
    C.setText('.js-event-name', event.name || 'the event');
    var dates = C.byId('event-dates');
    if (dates) dates.textContent = C.formatDays(event.starts_on, event.ends_on);
    var venue = C.byId('event-venue');
    if (venue) venue.textContent = event.venue || '';
    var city = C.byId('event-city');
    if (city) city.textContent = event.city || '';
    document.querySelectorAll('[data-currency-prefix]').forEach(function (el) {
      el.textContent = C.currencySymbol(event.currency);
    });
    // The organizers' Markdown, as HTML that the service has already cleaned to an
    // allow-list (ammonia: no script, handler or javascript: link). It is parsed in an
    // inert document, where nothing runs or loads, and its nodes are moved here: the one
    // place these scripts take HTML, and only the service's own cleaned output.
    var cleaned = function (el, html) {
      if (!el || !html) return false;
      var doc = new DOMParser().parseFromString(String(html), 'text/html');
      el.replaceChildren.apply(el, Array.prototype.map.call(doc.body.childNodes, function (n) {
        return document.importNode(n, true);
      }));
      return true;
    };
    var description = C.byId('event-description');
    if (cleaned(description, event.description_html)) description.hidden = false;
    var practical = C.byId('event-practical');
    if (cleaned(practical, event.practical_info_html)) practical.hidden = false;
    // "contact the organizing team" names its address where the event has one.
    document.querySelectorAll('.js-contact').forEach(function (el) {
      el.textContent = '';
      if (!event.contact_email) return;
      var a = document.createElement('a');
      a.className = 'link';
      a.href = 'mailto:' + event.contact_email;
      a.textContent = event.contact_email;
      el.appendChild(document.createTextNode(' at '));
      el.appendChild(a);
    });
  };

  /** Where a same-service link points, as a path on this origin: the API may build
      links from a configured base URL that differs from the address in use. */
  C.samePath = function (link) {
    try {
      var url = new URL(String(link || ''), window.location.origin);
      if (!/^\/(manage|invite)\//.test(url.pathname)) return null;
      return url.pathname;
    } catch (e) { return null; }
  };

  window.Convene = C;

  document.addEventListener('DOMContentLoaded', function () {
    var retry = C.byId('retry');
    if (retry) retry.addEventListener('click', function () { window.location.reload(); });
  });
}());
