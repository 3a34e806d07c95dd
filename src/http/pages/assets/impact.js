/* convene — the organizers' impact page: publishing the programme's public page. */
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    var button = document.getElementById('publish');
    if (!button) return;
    var error = document.getElementById('publish-error');
    button.addEventListener('click', function () {
      var program = button.getAttribute('data-program');
      button.setAttribute('aria-disabled', 'true');
      fetch('/api/v1/programs/' + encodeURIComponent(program) + '/publish', {
        method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json' }
      }).then(function (res) {
        if (res.ok) {
          window.location.reload();
          return;
        }
        button.removeAttribute('aria-disabled');
        error.textContent = 'The page could not be published (' + res.status + '). Reload the page and try again.';
        error.hidden = false;
      }, function () {
        button.removeAttribute('aria-disabled');
        error.textContent = 'We could not reach the service. Check your connection and try again.';
        error.hidden = false;
      });
    });
  });
}());
