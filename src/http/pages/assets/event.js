/* convene — the public event page: the request-an-invitation form. */
(function () {
  'use strict';
  var C = window.Convene;

  document.addEventListener('DOMContentLoaded', function () {
    var form = C.byId('request-form');
    if (!form) return;
    var summary = C.byId('error-summary');
    var slug = form.getAttribute('data-slug');

    function send() {
      var body = {
        full_name: C.value(form, 'full_name'),
        email: C.value(form, 'email'),
        title: C.value(form, 'title'),
        organization: C.value(form, 'organization'),
        community: { name: C.value(form, 'community.name'), state: C.value(form, 'community.state') },
        reason: C.value(form, 'reason'),
        website: C.value(form, 'website')
      };
      return C.api('POST', '/api/v1/events/' + encodeURIComponent(slug) + '/invitation-requests', body)
        .then(function (res) {
          if (res.status === 202) {
            C.clearErrors(form, summary);
            C.setText('.js-sent-to', body.email ? ' from ' + body.email : '');
            C.showState('state-received', 'Request sent', true);
          } else if (res.status === 422 && res.data && res.data.errors) {
            C.showErrors(form, summary, res.data.errors);
          } else if (res.status === 429) {
            C.showErrors(form, summary, {}, 'Too many requests have come from your network. Please try again in an hour.');
          } else {
            C.showErrors(form, summary, {}, C.problemDetail(res.data) || C.failureMessage(res, 'event'));
          }
        });
    }

    form.addEventListener('submit', C.guard(C.byId('request-button'), send));
  });
}());
