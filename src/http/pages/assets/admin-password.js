/* convene dashboard — passwords: asking for a reset link, choosing a new password through
   it (both without signing in), and changing one's own password. */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;

  /** Shows the API's field errors, or a sentence when no field explains the failure. */
  function refused(form, summary, res, what) {
    if (res.status === 422 && res.data && res.data.errors) {
      C.showErrors(form, summary, res.data.errors);
    } else {
      C.showErrors(form, summary, {}, A.failure(res, what));
    }
  }

  A.register('forgot-password', function () {
    var form = C.byId('forgot-form');
    var summary = C.byId('error-summary');
    A.showPage();
    form.addEventListener('submit', C.guard(C.byId('forgot-button'), function () {
      var email = C.value(form, 'email');
      if (!email) {
        C.showErrors(form, summary, { email: ['Enter the email address of your organizer account'] });
        return Promise.resolve();
      }
      return C.api('POST', '/api/v1/auth/password-reset', { email: email }).then(function (res) {
        if (res.status !== 202) return refused(form, summary, res, 'account');
        form.hidden = true;
        summary.hidden = true;
        C.byId('forgot-sent-text').textContent = (res.data && res.data.message) ||
          'If this address has an organizer account, a link is on its way.';
        C.byId('forgot-sent').hidden = false;
        return null;
      });
    }));
  });

  A.register('reset-password', function () {
    var form = C.byId('reset-form');
    var summary = C.byId('error-summary');
    var token = window.location.pathname.split('/').pop();
    A.showPage();
    form.addEventListener('submit', C.guard(C.byId('reset-button'), function () {
      var password = C.byId('new_password').value;
      if (!password) {
        C.showErrors(form, summary, { new_password: ['Enter a new password'] });
        return Promise.resolve();
      }
      return C.api('POST', '/api/v1/auth/password-reset/' + encodeURIComponent(token), { new_password: password }).then(function (res) {
        if (res.status === 204) {
          A.flash('Your new password is set. Sign in with it.');
          window.location.assign('/admin/sign-in');
          return null;
        }
        if (res.status === 404 || res.status === 410) {
          form.hidden = true;
          C.byId('reset-gone').hidden = false;
          C.showErrors(form, summary, {}, res.status === 404
            ? 'This link is not a valid password link. Ask for a new one.'
            : C.capitalise(C.problemDetail(res.data) || 'this link no longer works') + '.');
          return null;
        }
        return refused(form, summary, res, 'link');
      });
    }));
  });

  A.register('password', function () {
    var form = C.byId('password-form');
    var summary = C.byId('error-summary');
    form.addEventListener('submit', C.guard(C.byId('password-button'), function () {
      var errors = {};
      if (!C.byId('current_password').value) errors.current_password = ['Enter your current password'];
      if (!C.byId('new_password').value) errors.new_password = ['Enter a new password'];
      if (Object.keys(errors).length) {
        C.showErrors(form, summary, errors);
        return Promise.resolve();
      }
      return C.api('POST', '/api/v1/auth/password', {
        current_password: C.byId('current_password').value,
        new_password: C.byId('new_password').value
      }).then(function (res) {
        if (res.status === 204) {
          form.reset();
          summary.hidden = true;
          A.notify('Your password is changed. Your other sessions have ended.');
          return null;
        }
        return refused(form, summary, res, 'account');
      });
    }));
  });
}());
