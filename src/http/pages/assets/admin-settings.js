/* convene dashboard — the signed-in organizer's settings: whether to be emailed about
   each new item (PATCH /auth/me {review_notices}). */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;

  A.register('settings', function () {
    var form = C.byId('settings-form');
    var summary = C.byId('error-summary');

    function show(me) {
      C.byId('settings-email').textContent = me.email || '';
      var chosen = form.querySelector('input[name="review_notices"][value="' + (me.review_notices === 'each' ? 'each' : 'none') + '"]');
      if (chosen) chosen.checked = true;
    }

    // A message about the last save would be stale once the choice changes again.
    form.addEventListener('change', function () { A.clearNotice(); });

    form.addEventListener('submit', C.guard(C.byId('settings-save'), function () {
      var picked = form.querySelector('input[name="review_notices"]:checked');
      A.clearNotice();
      if (!picked) {
        C.showErrors(form, summary, { review_notices: ['Choose whether to be emailed about each new item'] });
        return Promise.resolve();
      }
      return A.api('PATCH', '/auth/me', { review_notices: picked.value }).then(function (res) {
        if (res.status !== 200 || !res.data) {
          if (res.status === 422 && res.data && res.data.errors) C.showErrors(form, summary, res.data.errors);
          else C.showErrors(form, summary, {}, A.failure(res, 'account'));
          return null;
        }
        C.clearErrors(form, summary);
        A.me = res.data;
        show(res.data);
        A.notify(res.data.review_notices === 'each'
          ? 'Saved: we will email you about each new item.'
          : 'Saved: we will not email you about new items.');
        return null;
      });
    }));

    show(A.me || {});
    return Promise.resolve();
  });
}());
