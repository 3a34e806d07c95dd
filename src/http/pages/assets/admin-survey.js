/* convene — the dashboard's survey page of an event: its settings, and sending a wave now. */
(function () {
  'use strict';
  var C = window.Convene;
  var A = window.ConveneAdmin;

  A.register('survey', function (event) {
    var form = C.byId('survey-form');
    var summary = C.byId('error-summary');
    if (event && event.program) {
      C.byId('impact-link').href = '/admin/impact?program=' + encodeURIComponent(event.program);
    }
    function show(s) {
      C.setValue(form, 'send_after_hours', s.send_after_hours);
      C.setValue(form, 'follow_up_after_days', s.follow_up_after_days);
      C.byId('survey-open').checked = !!s.open;
    }
    function number(name) {
      var raw = C.value(form, name);
      return /^-?\d+$/.test(raw) ? Number(raw) : raw;
    }
    form.addEventListener('submit', C.guard(C.byId('survey-save'), function () {
      return A.submit(form, summary, function () {
        return A.api('PUT', A.eventPath('/survey'), {
          send_after_hours: number('send_after_hours'),
          follow_up_after_days: number('follow_up_after_days'),
          open: C.byId('survey-open').checked
        });
      }, 'event').then(function (res) {
        if (!res) return;
        show(res.data);
        A.notify('The survey settings have been saved.');
      });
    }));
    [['post_event', 'survey'], ['follow_up', 'follow-up']].forEach(function (w) {
      var button = C.byId('send-' + w[0]);
      button.addEventListener('click', C.guard(button, function () {
        return A.api('POST', A.eventPath('/survey/send'), { wave: w[0] }).then(function (res) {
          if (res.status === 202 && res.data) {
            var n = res.data.recipients;
            A.notify(n === 0
              ? 'Nobody was sent the ' + w[1] + ': every attendee has had it already.'
              : 'The ' + w[1] + ' is on its way to ' + A.plural(n, 'attendee', 'attendees') + '.');
          } else {
            A.notify(A.failure(res, 'event'));
          }
        });
      }));
    });
    return A.api('GET', A.eventPath('/survey')).then(function (res) {
      if (res.status !== 200 || !res.data) return A.fail(res, 'event');
      show(res.data);
      return null;
    });
  });
}());
