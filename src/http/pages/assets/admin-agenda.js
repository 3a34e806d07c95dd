/* convene dashboard — the event's agenda: its sessions in time order, one form that adds
   a session or changes the one chosen, and removal after asking. Times are typed and
   shown on the wall clock of the event's time zone, wherever the organizer is; the
   service checks that each session falls within the event's dates. */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;

  A.register('agenda', function (event) {
    var form = C.byId('session-form');
    var summary = C.byId('session-errors');
    var heading = C.byId('session-form-title');
    var save = C.byId('session-save');
    var cancel = C.byId('session-cancel');
    var zone = event.timezone;
    // The session being changed, or null while the form adds one.
    var editing = null;

    C.byId('agenda-zone').textContent = ' (' + zone + ')';
    C.byId('session-starts-hint').textContent = 'The event runs ' + C.formatDays(event.starts_on, event.ends_on) +
      '. Give a date and time during it, in its time zone.';
    ['starts_at', 'ends_at'].forEach(function (name) {
      var control = C.control(form, name);
      control.min = event.starts_on + 'T00:00';
      control.max = event.ends_on + 'T23:59';
    });

    function path(s) {
      return A.eventPath('/sessions' + (s ? '/' + encodeURIComponent(s.id) : ''));
    }

    /** "09:00 – 10:30", naming the day the session ends when it is not the first. */
    function times(s) {
      var start = A.utcToWall(s.starts_at, zone);
      var end = A.utcToWall(s.ends_at, zone);
      var sameDay = start.slice(0, 10) === end.slice(0, 10);
      return start.slice(11) + ' – ' + end.slice(11) + (sameDay ? '' : ' (' + A.shortDay(end) + ')');
    }

    function actions(s) {
      var change = A.el('button', { type: 'button', className: 'link-button' },
        ['Change', A.el('span', { className: 'visually-hidden', text: ' ' + s.title })]);
      change.addEventListener('click', function () { startEditing(s); });
      var remove = A.el('button', { type: 'button', className: 'link-button link-button--warning' },
        ['Remove', A.el('span', { className: 'visually-hidden', text: ' ' + s.title })]);
      remove.addEventListener('click', C.guard(remove, function () { return removeSession(s); }));
      return A.el('div', { className: 'table__buttons' }, [change, remove]);
    }

    function show(items) {
      C.byId('sessions-count').textContent = A.plural(items.length, 'session') + '.';
      A.table(C.byId('sessions-table'), [
        { label: 'When', className: 'table__nowrap', cell: function (s) { return A.cellText(times(s), A.shortDay(A.utcToWall(s.starts_at, zone))); } },
        { label: 'Session', className: 'table__text', cell: function (s) { return A.cellText(s.title, s.location); } },
        { label: 'Actions', className: 'table__actions', cell: actions }
      ], items);
      C.byId('sessions-empty').hidden = items.length > 0;
      C.byId('sessions-table').closest('.table-wrap').hidden = items.length === 0;
    }

    function load() {
      return A.api('GET', path()).then(function (res) {
        if (res.status !== 200 || !res.data) return A.fail(res);
        show(Array.isArray(res.data.items) ? res.data.items : []);
        return null;
      });
    }

    function setControl(name, value) {
      C.control(form, name).value = value || '';
    }

    function startEditing(s) {
      editing = s;
      C.clearErrors(form, summary);
      setControl('title', s.title);
      setControl('starts_at', A.utcToWall(s.starts_at, zone));
      setControl('ends_at', A.utcToWall(s.ends_at, zone));
      setControl('location', s.location);
      setControl('description', s.description);
      heading.textContent = 'Change “' + s.title + '”';
      save.textContent = 'Save the session';
      cancel.hidden = false;
      heading.scrollIntoView({ block: 'start' });
      heading.focus({ preventScroll: true });
    }

    function stopEditing() {
      editing = null;
      C.clearErrors(form, summary);
      form.reset();
      heading.textContent = 'Add a session';
      save.textContent = 'Add the session';
      cancel.hidden = true;
    }

    cancel.addEventListener('click', function () {
      stopEditing();
      heading.focus();
    });

    function removeSession(s) {
      return A.confirm({
        title: 'Remove “' + s.title + '” from the agenda?',
        text: 'It goes from the event page at once.',
        yes: 'Remove the session',
        warning: true
      }).then(function (ok) {
        if (!ok) return null;
        return A.api('DELETE', path(s)).then(function (res) {
          if (editing && editing.id === s.id) stopEditing();
          // The list first, then the message: what it says is already on the page.
          return load().then(function () {
            A.notify(res.status === 204 ? 'Removed “' + s.title + '” from the agenda.' : A.failure(res, 'session'));
          });
        });
      });
    }

    /** The request body, and the errors of what cannot be sent (a time left empty). */
    function build() {
      var errors = {};
      var body = {
        title: C.value(form, 'title'),
        // Empty clears a room or description that a changed session had.
        location: C.value(form, 'location') || null,
        description: C.value(form, 'description') || null
      };
      [['starts_at', 'when the session starts'], ['ends_at', 'when the session ends']].forEach(function (pair) {
        var wall = C.value(form, pair[0]);
        var at = wall ? A.wallToUtc(wall, zone) : null;
        if (!wall) errors[pair[0]] = ['enter ' + pair[1]];
        else if (!at) errors[pair[0]] = ['enter ' + pair[1] + ' as a date and time'];
        else body[pair[0]] = at;
      });
      // The service checks everything else, all at once, once both times can be sent;
      // until then an empty title is named here too, so that one round names it all.
      if (Object.keys(errors).length && !body.title) errors.title = ['enter the title of the session'];
      return { body: body, errors: errors };
    }

    form.addEventListener('submit', C.guard(save, function () {
      var built = build();
      if (Object.keys(built.errors).length) {
        C.showErrors(form, summary, built.errors);
        return Promise.resolve();
      }
      var target = editing;
      return A.submit(form, summary, function () {
        return A.api(target ? 'PATCH' : 'POST', path(target), built.body);
      }, 'session').then(function (res) {
        if (!res || !res.data) return null;
        var title = res.data.title;
        stopEditing();
        return load().then(function () {
          A.notify(target ? 'Saved “' + title + '”.' : 'Added “' + title + '” to the agenda.');
        });
      });
    }));

    return load();
  });
}());
