/* convene dashboard — the event's email wording: pick a kind, edit it with a live
   preview (rendered by the service with sample values), save, restore the default, send
   a test to yourself. */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;

  A.register('wording', function () {
    var form = C.byId('wording-form');
    var summary = C.byId('wording-errors');
    var select = C.byId('wording-kind');
    var kinds = [];
    var timer = null;

    function current() {
      return kinds.find(function (k) { return k.kind === select.value; }) || null;
    }

    function path(suffix) {
      return A.eventPath('/email-templates/' + encodeURIComponent(select.value) + (suffix || ''));
    }

    function show(k) {
      C.setValue(form, 'subject', k.subject);
      C.setValue(form, 'body', k.body);
      C.byId('wording-state').textContent = k.customized ? 'This event’s own wording.' : 'The default wording.';
      C.byId('wording-placeholders').textContent = 'Placeholders: ' + k.placeholders.map(function (p) {
        return '{{ ' + p + ' }}';
      }).join(', ') + (k.required ? '. Keep {{ ' + k.required + ' }}: the email exists to give that link.' : '.');
      C.byId('wording-restore').hidden = !k.customized;
      preview();
    }

    /* The service's rendering of the email: parsed in an inert document, where nothing
       runs or loads, then moved here without its inline styles (which this page's
       policy does not apply) and without anything that would load. The organizers'
       Markdown in it was cleaned to an allow-list by the service. */
    function showHtml(el, html) {
      // Even an inert document reports the styles it parses against the page's policy:
      // they go before parsing (the service writes them as style="...").
      var unstyled = String(html).replace(/\sstyle="[^"]*"/g, '');
      var doc = new DOMParser().parseFromString(unstyled, 'text/html');
      doc.querySelectorAll('script, img, link, style, meta, title').forEach(function (n) { n.remove(); });
      doc.querySelectorAll('[style]').forEach(function (n) { n.removeAttribute('style'); });
      el.replaceChildren.apply(el, Array.prototype.map.call(doc.body.childNodes, function (n) {
        return document.importNode(n, true);
      }));
    }

    function preview() {
      var body = { subject: C.value(form, 'subject'), body: C.value(form, 'body') };
      return A.api('POST', path('/preview'), body).then(function (res) {
        var status = C.byId('preview-status');
        if (res.status === 200 && res.data) {
          status.textContent = '';
          C.byId('preview-subject').textContent = res.data.subject;
          showHtml(C.byId('preview-html'), res.data.html);
          C.byId('preview-text').textContent = res.data.text;
        } else {
          status.textContent = res.status === 422 ? 'The preview waits until the wording is valid: ' + A.failure(res) : A.failure(res);
        }
        return null;
      });
    }

    function load(keep) {
      return A.api('GET', A.eventPath('/email-templates')).then(function (res) {
        if (res.status !== 200 || !res.data) return A.fail(res);
        kinds = Array.isArray(res.data.items) ? res.data.items : [];
        if (!keep) {
          select.replaceChildren.apply(select, kinds.map(function (k) {
            return A.el('option', { value: k.kind, text: A.words(k.kind) });
          }));
        }
        var k = current() || kinds[0];
        if (k) show(k);
        return null;
      });
    }

    select.addEventListener('change', function () {
      C.clearErrors(form, summary);
      var k = current();
      if (k) show(k);
    });
    ['subject', 'body'].forEach(function (name) {
      C.control(form, name).addEventListener('input', function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(preview, 400);
      });
    });

    form.addEventListener('submit', C.guard(C.byId('wording-save'), function () {
      var body = { subject: C.value(form, 'subject'), body: C.value(form, 'body') };
      return A.submit(form, summary, function () {
        return A.api('PUT', path(), body);
      }, 'wording').then(function (res) {
        if (!res) return null;
        return load(true).then(function () { A.notify('Saved: this event’s ' + A.words(select.value).toLowerCase() + ' emails use it from now on.'); });
      });
    }));

    C.byId('wording-restore').addEventListener('click', C.guard(C.byId('wording-restore'), function () {
      return A.api('DELETE', path()).then(function (res) {
        if (res.status !== 204) return A.fail(res);
        return load(true).then(function () { A.notify('The default wording is used again.'); });
      });
    }));

    C.byId('wording-test').addEventListener('click', C.guard(C.byId('wording-test'), function () {
      return A.api('POST', path('/test'), {}).then(function (res) {
        A.notify(res.status === 202 ? 'A test email is on its way to ' + (A.me && A.me.email ? A.me.email : 'you') + ', in the saved wording.' : A.failure(res));
        return null;
      });
    }));

    return load(false);
  });
}());
