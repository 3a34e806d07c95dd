/* convene — the attendee's survey (/survey/{token}): a client of /api/v1/surveys/{token}. */
(function () {
  'use strict';
  var C = window.Convene;
  var token = C.tokenFromPath();
  var path = '/api/v1/surveys/' + encodeURIComponent(token);
  var form, summary, wave;

  function setRadio(name, value) {
    form.querySelectorAll('[name="' + name + '"]').forEach(function (r) {
      r.checked = value !== null && value !== undefined && r.value === (value ? 'yes' : 'no');
    });
  }

  function radio(name) {
    var checked = form.querySelector('[name="' + name + '"]:checked');
    return checked ? checked.value === 'yes' : null;
  }

  function fill(survey) {
    wave = survey.wave;
    C.setText('#survey-event', survey.event.name);
    ['post_event', 'follow_up'].forEach(function (w) {
      C.byId('wave-' + w).hidden = w !== wave;
      C.byId('survey-intro-' + w).hidden = w !== wave;
    });
    var a = survey.answers || {};
    if (wave === 'post_event') {
      setRadio('answers.would_recommend', a.would_recommend);
      setRadio('answers.learned_and_met_objectives', a.learned_and_met_objectives);
      C.byId('highlight').value = a.highlight || '';
      C.byId('testimonial').value = a.testimonial || '';
      C.byId('may-quote').checked = !!a.may_quote;
    } else {
      setRadio('answers.still_applying', a.still_applying);
      var n = a.residents_engaged;
      C.byId('residents-engaged').value = n === null || n === undefined ? '' : String(n);
    }
  }

  function answers() {
    if (wave === 'post_event') {
      return {
        would_recommend: radio('answers.would_recommend'),
        learned_and_met_objectives: radio('answers.learned_and_met_objectives'),
        highlight: C.byId('highlight').value.trim() || null,
        testimonial: C.byId('testimonial').value.trim() || null,
        may_quote: C.byId('may-quote').checked
      };
    }
    var raw = C.byId('residents-engaged').value.trim().replace(/[,\s]/g, '');
    // Sent as typed when it is not a whole number, so that the API names the field.
    var n = raw === '' ? null : (/^-?\d+$/.test(raw) ? Number(raw) : raw);
    return { still_applying: radio('answers.still_applying'), residents_engaged: n };
  }

  function show(res, moveFocus) {
    if (res.status === 200) {
      fill(res.data);
      C.showState('state-survey', 'Your survey', moveFocus);
    } else if (res.status === 404) {
      C.showState('state-not-found', 'Survey not found', moveFocus);
    } else if (res.status === 410) {
      C.showState('state-gone', 'Survey closed', moveFocus);
    } else {
      C.showState('state-error', 'Sorry, there is a problem', moveFocus);
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    form = C.byId('survey-form');
    summary = C.byId('error-summary');
    C.showLoading();
    C.api('GET', path).then(function (res) { show(res, false); });
    form.addEventListener('submit', C.guard(C.byId('survey-submit'), function () {
      return C.api('PUT', path, { answers: answers() }).then(function (res) {
        if (res.status === 200) {
          C.clearErrors(form, summary);
          fill(res.data);
          C.showState('state-thanks', 'Thank you', true);
        } else if (res.status === 422 && res.data && res.data.errors) {
          C.showErrors(form, summary, res.data.errors);
        } else if (res.status === 410) {
          C.showState('state-gone', 'Survey closed', true);
        } else {
          C.showErrors(form, summary, {}, C.failureMessage(res, 'survey'));
        }
      });
    }));
    C.byId('edit-again').addEventListener('click', function () {
      C.showState('state-survey', 'Your survey', true);
    });
  });
}());
