/* convene dashboard — for admins: what is held about one email address (to answer a
   person's request), downloaded as JSON, and its erasure everywhere after a confirmation. */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;

  var KINDS = [
    ['invitations', 'Invitations'],
    ['registrations', 'Registrations'],
    ['check_ins', 'Check-ins'],
    ['nominations', 'Nominations of them'],
    ['nominations_made', 'Nominations they made'],
    ['invitation_requests', 'Requests for an invitation'],
    ['scholarship_requests', 'Travel scholarship requests'],
    ['emails', 'Emails'],
    ['survey_responses', 'Survey answers'],
    ['audit', 'Audit log entries']
  ];

  A.register('people', function () {
    var form = C.byId('person-form');
    var summary = C.byId('person-errors');
    var result = C.byId('person-result');
    var download = C.byId('person-download');
    var shown = null;
    A.showPage();

    function path(email) { return '/people/' + encodeURIComponent(email); }

    function show(data) {
      shown = data.email;
      C.byId('person-address').textContent = data.email;
      var body = C.byId('person-counts');
      body.textContent = '';
      var total = 0;
      KINDS.forEach(function (k) {
        var n = (data[k[0]] || []).length;
        total += n;
        var row = document.createElement('tr');
        var th = document.createElement('th');
        th.scope = 'row';
        th.textContent = k[1];
        var td = document.createElement('td');
        td.className = 'table__number';
        td.textContent = A.number(n);
        row.appendChild(th);
        row.appendChild(td);
        body.appendChild(row);
      });
      if (download.href.indexOf('blob:') === 0) URL.revokeObjectURL(download.href);
      download.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
      C.byId('person-erase').hidden = total === 0;
      result.hidden = false;
      C.byId('person-result-title').focus();
    }

    function find(email) {
      return A.submit(form, summary, function () { return A.api('GET', path(email)); }, 'person')
        .then(function (res) { if (res) show(res.data); return null; });
    }

    form.addEventListener('submit', C.guard(C.byId('person-find'), function () {
      var email = C.value(form, 'email');
      A.clearNotice();
      if (!email) {
        C.showErrors(form, summary, { email: ['Enter the email address of the person'] });
        return Promise.resolve();
      }
      return find(email);
    }));

    C.byId('person-erase').addEventListener('click', function () {
      if (!shown) return;
      var email = shown;
      A.confirm({
        title: 'Erase ' + email + ' everywhere?',
        text: 'Their registrations for events still to come are cancelled (the seat goes to the waiting list) and open invitations withdrawn, without an email to them. Then their name, address, details and answers are anonymized in every event. The counts and the impact report stay. This cannot be undone.',
        yes: 'Erase',
        no: 'Keep',
        warning: true
      }).then(function (yes) {
        if (!yes) return null;
        return A.api('POST', path(email) + '/erase', {}).then(function (res) {
          if (res.status !== 200) {
            C.showErrors(form, summary, {}, A.failure(res, 'person'));
            return null;
          }
          var d = res.data;
          result.hidden = true;
          shown = null;
          A.notify(email + ' is erased: ' + A.number(d.registrations) + ' registrations (' +
            A.number(d.cancelled_registrations) + ' cancelled first), ' + A.number(d.invitations) +
            ' invitations (' + A.number(d.revoked_invitations) + ' withdrawn first) and ' +
            A.number(d.emails) + ' emails anonymized.');
          return null;
        });
      });
    });
  });
}());
