/* convene dashboard — the review queues: requests for an invitation, young-leader
   nominations and travel scholarships. Each item shows what an organizer needs to decide
   (the community, the nominator, the estimate, the justification, the budget left) with
   a decision form; a refusal (409: over budget, already decided) is shown in that form
   without losing what was typed. Several can be approved or declined at once where that
   makes sense (not scholarship awards, whose amounts differ). */
(function () {
  'use strict';

  var C = window.Convene;
  var A = window.ConveneAdmin;

  var QUEUES = {
    requests: {
      path: '/invitation-requests',
      noun: 'request',
      nouns: 'requests',
      approve: function (item, note) { return A.api('POST', A.eventPath('/invitation-requests/' + encodeURIComponent(item.id) + '/approve'), note ? { note: note } : {}); },
      decline: function (item, note) { return A.api('POST', A.eventPath('/invitation-requests/' + encodeURIComponent(item.id) + '/decline'), note ? { note: note } : {}); },
      noteHint: 'If you approve, this goes in the invitation email as a message from you. If you decline, it goes in the email telling them.',
      approved: 'Approved: an invitation has been sent.',
      declined: 'Declined: they have been told by email.'
    },
    nominations: {
      path: '/nominations',
      noun: 'nomination',
      nouns: 'nominations',
      approve: function (item, note) { return A.api('POST', A.eventPath('/nominations/' + encodeURIComponent(item.id) + '/approve'), note ? { note: note } : {}); },
      decline: function (item, note) { return A.api('POST', A.eventPath('/nominations/' + encodeURIComponent(item.id) + '/decline'), note ? { note: note } : {}); },
      noteHint: 'Sent to the executive who nominated them, with the decision.',
      approved: 'Approved: the young leader has been invited and the executive told.',
      declined: 'Declined: the executive has been told by email.'
    },
    scholarships: {
      path: '/scholarships',
      noun: 'scholarship request',
      nouns: 'scholarship requests',
      decide: function (item, body) { return A.api('POST', A.eventPath('/scholarships/' + encodeURIComponent(item.id) + '/decision'), body); },
      noteHint: 'Sent to the registrant with the decision.',
      approved: 'Approved: the registrant has been told the amount by email.',
      declined: 'Declined: the registrant has been told by email.',
      waitlisted: 'Put on the waiting list: the registrant has been told by email.'
    }
  };

  var queueName = '';
  var queue = null;
  var budget = null;
  var serial = 0;

  function statusText(status) {
    return {
      pending: 'Waiting for a decision', approved: 'Approved', declined: 'Declined',
      waitlisted: 'On the waiting list', withdrawn: 'Withdrawn'
    }[status] || A.words(status);
  }

  function currency() {
    return (budget && budget.currency) || (A.event && A.event.currency) || 'USD';
  }

  function money(cents) { return A.money(cents, currency()); }

  /* ---------- the budget (scholarships) ---------- */

  function showBudget(b) {
    if (!b) return;
    budget = b;
    C.byId('budget-total').textContent = money(b.budget_cents);
    C.byId('budget-awarded').textContent = money(b.awarded_cents);
    C.byId('budget-left').textContent = money(b.left_cents);
    document.querySelectorAll('[data-budget-left]').forEach(function (el) {
      el.textContent = money(b.left_cents) + ' left in the budget.';
    });
  }

  function refreshBudget() {
    if (queueName !== 'scholarships') return Promise.resolve();
    return A.api('GET', A.eventPath('/scholarships?limit=1')).then(function (res) {
      if (res.status === 200 && res.data && res.data.budget) showBudget(res.data.budget);
    });
  }

  function refreshCounts() {
    return A.api('GET', A.eventPath('/stats')).then(function (res) {
      if (res.status === 200 && res.data) A.showPendingCounts(res.data);
    });
  }

  /* ---------- building a card ---------- */

  function row(label, value) {
    return [label, value];
  }

  /** The context a decision needs, as rows of a summary list. */
  function contextRows(item) {
    var rows = [];
    if (queueName === 'requests') {
      rows.push(row('Email', item.email));
      rows.push(row('Community', A.community(item.community)));
      rows.push(row('Organization', item.organization));
      rows.push(row('Asked', A.moment(item.created_at) + (item.times_requested > 1 ? ' (asked ' + item.times_requested + ' times)' : '')));
    } else if (queueName === 'nominations') {
      var by = item.nominator || {};
      rows.push(row('Email', item.email));
      rows.push(row('Community', A.community(item.community)));
      rows.push(row('Nominated by', [by.full_name, by.title, by.organization].filter(Boolean).join(', ') +
        (by.registration_status ? ' (registration ' + A.words(by.registration_status).toLowerCase() + ')' : '')));
      rows.push(row('Nominated', A.moment(item.created_at)));
    } else {
      var reg = item.registration || item.registrant || {};
      rows.push(row('Registrant', [reg.full_name, reg.title, reg.organization].filter(Boolean).join(', ')));
      rows.push(row('Community', A.community(item.community || reg.community)));
      rows.push(row('Travelers', A.number(item.travelers)));
      rows.push(row('Estimated cost', money(item.estimated_cost_cents)));
      rows.push(row('Amount asked for', money(item.requested_amount_cents)));
      if (typeof item.awarded_amount_cents === 'number') rows.push(row('Amount awarded', money(item.awarded_amount_cents)));
      if (item.award_status) rows.push(row('Their answer to the award', A.awardWords(item.award_status) + (item.award_status === 'offered' && item.reply_by ? ' (reply by ' + A.moment(item.reply_by) + ')' : '')));
      rows.push(row('Asked', A.moment(item.created_at)));
    }
    if (item.decided_at) rows.push(row('Decided', A.moment(item.decided_at)));
    if (item.decision_note) rows.push(row('Note with the decision', item.decision_note));
    return rows;
  }

  function title(item) {
    if (queueName === 'scholarships') {
      var reg = item.registration || item.registrant || {};
      var c = item.community || reg.community;
      return (c && c.name ? c.name : reg.full_name || 'Scholarship request') + ': ' + money(item.requested_amount_cents);
    }
    return item.full_name;
  }

  function subtitle(item) {
    if (queueName === 'scholarships') {
      var reg = item.registration || item.registrant || {};
      return [reg.full_name, reg.title].filter(Boolean).join(', ');
    }
    return [item.title, item.organization].filter(Boolean).join(', ');
  }

  function quote(item) {
    var text = queueName === 'scholarships' ? item.justification : item.reason;
    var label = queueName === 'scholarships' ? 'Why they need help' : (queueName === 'nominations' ? 'Why they were nominated' : 'Why they asked');
    if (!text) return null;
    return [A.el('h4', { className: 'heading-s', text: label }), A.el('blockquote', { className: 'review-item__quote', text: text })];
  }

  /** A form field built like the _fields.html macro, so that C.showErrors can mark it. */
  function field(id, name, label, opts) {
    opts = opts || {};
    var control;
    var hintId = id + '-hint';
    if (opts.textarea) {
      control = A.el('textarea', { className: 'textarea', id: id, name: name, rows: 3, 'data-label': label });
    } else {
      control = A.el('input', {
        className: 'input input--width-10', id: id, name: name, type: 'text',
        inputmode: opts.inputmode, autocomplete: 'off', 'data-label': label
      });
    }
    if (opts.hint) control.setAttribute('aria-describedby', hintId);
    if (opts.value !== undefined) control.value = opts.value;
    var inner = control;
    if (opts.prefix) {
      inner = A.el('div', { className: 'input-wrapper' }, [
        A.el('div', { className: 'input-prefix', 'aria-hidden': 'true', text: C.currencySymbol(currency()) }),
        control
      ]);
    }
    return A.el('div', { className: 'form-group' }, [
      A.el('label', { className: 'label', for: id, text: label + (opts.optional ? ' (optional)' : '') }),
      opts.hint ? A.el('div', { className: 'hint', id: hintId }, opts.hint) : null,
      A.el('p', { className: 'error-message', id: id + '-error', hidden: true }),
      inner
    ]);
  }

  function errorSummary(id) {
    return A.el('div', { className: 'error-summary', id: id, role: 'alert', tabindex: '-1', 'aria-labelledby': id + '-title', hidden: true }, [
      A.el('h4', { className: 'error-summary__title', id: id + '-title', text: 'There is a problem' }),
      A.el('div', { className: 'error-summary__body' }, [
        A.el('p', { className: 'error-summary__message', hidden: true }),
        A.el('ul', { className: 'error-summary__list' })
      ])
    ]);
  }

  var cards = {};

  function card(item) {
    var n = ++serial;
    var pending = item.status === 'pending' || (queueName === 'scholarships' && item.status === 'waitlisted');
    var headingId = 'item-' + n + '-title';
    var li = A.el('li');
    var article = A.el('article', { className: 'review-item' + (pending ? '' : ' review-item--decided'), 'aria-labelledby': headingId });
    var tag = A.tag(item.status, statusText(item.status));
    var head = A.el('div', { className: 'review-item__head' }, [
      A.el('div', {}, [
        A.el('h3', { className: 'heading-m review-item__title', id: headingId, text: title(item) }),
        A.el('p', { className: 'review-item__subtitle', text: subtitle(item) })
      ]),
      tag
    ]);
    article.appendChild(head);
    var dl = A.el('dl', { className: 'summary-list' });
    C.summaryRows(dl, contextRows(item));
    article.appendChild(dl);
    A.append(article, quote(item));

    var entry = { item: item, article: article, tag: tag, checkbox: null, form: null, summary: null };
    cards[item.id] = entry;

    if (pending) {
      if (queue.approve || queueName === 'scholarships') {
        var select = A.el('input', { className: 'checkboxes__input', type: 'checkbox', id: 'select-' + n, 'data-select': item.id });
        select.addEventListener('change', updateBulkCount);
        entry.checkbox = select;
        article.insertBefore(A.el('div', { className: 'checkboxes__item review-item__select' }, [
          select,
          A.el('label', { className: 'checkboxes__label', for: 'select-' + n }, ['Select ', A.el('span', { className: 'visually-hidden', text: title(item) + ' ' }), 'for a decision on several at once'])
        ]), head.nextSibling);
      }
      article.appendChild(decisionForm(entry, n, headingId));
    }
    li.appendChild(article);
    return li;
  }

  function decisionForm(entry, n, headingId) {
    var item = entry.item;
    var form = A.el('form', { className: 'review-item__decision', novalidate: true, 'aria-labelledby': 'decision-' + n + '-title' });
    var summary = errorSummary('decision-' + n + '-errors');
    entry.form = form;
    entry.summary = summary;
    form.appendChild(A.el('h4', { className: 'heading-s', id: 'decision-' + n + '-title' }, ['Your decision', A.el('span', { className: 'visually-hidden', text: ' on ' + title(item) })]));
    form.appendChild(summary);
    var buttons = A.el('div', { className: 'button-group' });
    if (queueName === 'scholarships') {
      var left = budget ? budget.left_cents : null;
      var suggested = typeof left === 'number' ? Math.min(item.requested_amount_cents, left) : item.requested_amount_cents;
      var hint = A.el('span', {}, [
        'Up to ' + money(item.requested_amount_cents) + ', the amount asked for. ',
        A.el('span', { 'data-budget-left': '', text: budget ? money(budget.left_cents) + ' left in the budget.' : '' })
      ]);
      form.appendChild(field('award-' + n, 'awarded_amount_cents', 'Amount to award', { prefix: true, inputmode: 'decimal', hint: hint, value: C.centsToInput(suggested) }));
      form.appendChild(field('note-' + n, 'note', 'Note', { textarea: true, optional: true, hint: queue.noteHint }));
      buttons.appendChild(A.el('button', { type: 'submit', className: 'button', 'data-decision': 'approved' }, ['Approve and award', A.el('span', { className: 'visually-hidden', text: ' to ' + title(item) })]));
      if (item.status !== 'waitlisted') {
        buttons.appendChild(A.el('button', { type: 'button', className: 'button button--secondary', 'data-decision': 'waitlisted' }, ['Put on the waiting list', A.el('span', { className: 'visually-hidden', text: ': ' + title(item) })]));
      }
      buttons.appendChild(A.el('button', { type: 'button', className: 'button button--warning', 'data-decision': 'declined' }, ['Decline', A.el('span', { className: 'visually-hidden', text: ' ' + title(item) })]));
    } else {
      form.appendChild(field('note-' + n, 'note', 'Note', { textarea: true, optional: true, hint: queue.noteHint }));
      buttons.appendChild(A.el('button', { type: 'submit', className: 'button', 'data-decision': 'approved' }, ['Approve', A.el('span', { className: 'visually-hidden', text: ' ' + title(item) })]));
      buttons.appendChild(A.el('button', { type: 'button', className: 'button button--warning', 'data-decision': 'declined' }, ['Decline', A.el('span', { className: 'visually-hidden', text: ' ' + title(item) })]));
    }
    form.appendChild(buttons);

    var busy = false;
    function act(decision, button) {
      if (busy) return;
      busy = true;
      button.setAttribute('aria-disabled', 'true');
      ask(entry, decision).then(function (yes) {
        return yes ? decide(entry, decision) : null;
      }).then(function () {
        busy = false;
        button.removeAttribute('aria-disabled');
      }, function (e) {
        busy = false;
        button.removeAttribute('aria-disabled');
        if (window.console) console.error(e);
      });
    }
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      act('approved', form.querySelector('[data-decision="approved"]'));
    });
    buttons.querySelectorAll('button[type="button"]').forEach(function (b) {
      b.addEventListener('click', function () { act(b.getAttribute('data-decision'), b); });
    });
    return form;
  }

  /** Asks before a decision that emails the person and cannot be taken back; before
      approving a nomination, says whether a seat is free (if none is, the young leader
      is invited and would join the waiting list). Resolves to true to go ahead. */
  function ask(entry, decision) {
    var who = title(entry.item);
    var note = C.value(entry.form, 'note');
    var emailed = ' is emailed about it' + (note ? ', with your note' : '') + '.';
    var verb = { approved: 'Approve', declined: 'Decline', waitlisted: 'Put on the waiting list' }[decision];
    var opts = {
      title: verb + (decision === 'waitlisted' ? ': ' : ' ') + who + '?',
      text: who + emailed + ' The decision cannot be taken back here.',
      yes: verb,
      no: 'Not now',
      warning: decision === 'declined'
    };
    // A scholarship's award is typed into its form: approving it is not one careless click.
    if (decision === 'approved' && queueName === 'scholarships') return Promise.resolve(true);
    if (decision !== 'approved' || queueName !== 'nominations') return A.confirm(opts);
    return A.api('GET', A.eventPath('/stats')).then(function (res) {
      var ev = res.status === 200 && res.data ? res.data.event : null;
      var left = ev ? ev.seats_left : null;
      opts.text = left === 0
        ? 'No seat is free now. ' + who + ' will be invited, and if they register they join the waiting list until a seat opens.'
        : who + ' will be invited by email to register' + (left ? ' (' + A.plural(left, 'seat') + ' free now)' : '') + '.';
      return A.confirm(opts);
    });
  }

  /** Sends one decision from a card's form; on success the card shows the outcome. */
  function decide(entry, decision) {
    var form = entry.form;
    var summary = entry.summary;
    var note = C.value(form, 'note');
    var request;
    if (queueName === 'scholarships') {
      var body = { decision: decision };
      if (note) body.note = note;
      if (decision === 'approved') {
        var errors = {};
        var cents = A.amount(form, 'awarded_amount_cents', errors, 'the amount to award');
        if (cents !== null && cents <= 0) errors.awarded_amount_cents = ['enter an amount greater than zero, or decline the request'];
        if (cents !== null && cents > entry.item.requested_amount_cents) {
          errors.awarded_amount_cents = ['enter at most ' + money(entry.item.requested_amount_cents) + ', the amount asked for'];
        }
        if (Object.keys(errors).length) {
          C.showErrors(form, summary, errors);
          return Promise.resolve();
        }
        body.awarded_amount_cents = cents;
      }
      request = function () { return queue.decide(entry.item, body); };
    } else {
      request = function () { return (decision === 'approved' ? queue.approve : queue.decline)(entry.item, note); };
    }
    return A.submit(form, summary, request, queue.noun).then(function (res) {
      if (!res) {
        return refreshBudget();
      }
      decided(entry, res.data || {}, decision);
      if (res.data && res.data.budget) {
        showBudget(res.data.budget);
        return refreshCounts();
      }
      return Promise.all([refreshBudget(), refreshCounts()]);
    });
  }

  /** Marks a card decided and replaces its form with what happened. */
  function decided(entry, data, decision) {
    var status = data.status || decision;
    entry.item = Object.assign({}, entry.item, data);
    var tag = A.tag(status, statusText(status));
    entry.tag.replaceWith(tag);
    entry.tag = tag;
    entry.article.classList.add('review-item--decided');
    if (entry.checkbox) {
      entry.checkbox.closest('.checkboxes__item').remove();
      entry.checkbox = null;
    }
    var text = queue[status] || statusText(status);
    if (queueName === 'scholarships' && status === 'approved') {
      var amount = typeof data.awarded_amount_cents === 'number' ? data.awarded_amount_cents : null;
      if (amount !== null) text = 'Approved: ' + money(amount) + ' awarded. The registrant has been told by email.';
    }
    var outcome = A.el('p', { className: 'review-item__outcome', tabindex: '-1', text: text });
    if (entry.form) {
      entry.form.replaceWith(outcome);
      entry.form = null;
    } else {
      entry.article.appendChild(outcome);
    }
    outcome.focus();
    updateBulkCount();
  }

  /* ---------- several at once ---------- */

  function selected() {
    return Object.keys(cards).map(function (id) { return cards[id]; }).filter(function (e) {
      return e.checkbox && e.checkbox.checked;
    });
  }

  function updateBulkCount() {
    var open = Object.keys(cards).filter(function (id) { return cards[id].checkbox; }).length;
    if (open < 2) {
      // One left: its own form is the way to decide it.
      Object.keys(cards).forEach(function (id) {
        var box = cards[id].checkbox;
        if (!box) return;
        box.checked = false;
        box.closest('.checkboxes__item').hidden = true;
      });
    }
    var n = selected().length;
    C.byId('bulk-count').textContent = n === 0 ? 'None selected.' : A.plural(n, queue.noun) + ' selected.';
    C.byId('bulk-form').hidden = open < 2;
    var all = C.byId('select-all');
    all.checked = open > 0 && n === open;
  }

  function bulk(decision) {
    var chosen = selected();
    var form = C.byId('bulk-form');
    var summary = C.byId('bulk-errors');
    C.clearErrors(form, summary);
    if (chosen.length === 0) {
      C.showErrors(form, summary, {}, 'Select at least one ' + queue.noun + ' first, with its “Select” box.');
      return Promise.resolve();
    }
    var verb = { approved: 'Approve', declined: 'Decline', waitlisted: 'Put on the waiting list' }[decision];
    var note = C.value(form, 'note');
    return A.confirm({
      title: verb + ' ' + A.plural(chosen.length, queue.noun) + '?',
      text: 'Each person is emailed about the decision' + (note ? ', with your note' : '') + '. ' +
        chosen.map(function (e) { return title(e.item); }).join('; ') + '.',
      yes: verb + ' ' + A.plural(chosen.length, queue.noun),
      warning: decision === 'declined'
    }).then(function (ok) {
      if (!ok) return null;
      var list = C.byId('bulk-report-list');
      list.textContent = '';
      var done = 0;
      var refused = 0;
      // One after another: each decision is its own transaction and audit entry.
      return chosen.reduce(function (p, entry) {
        return p.then(function () {
          var req;
          if (queueName === 'scholarships') {
            var body = { decision: decision };
            if (note) body.note = note;
            req = queue.decide(entry.item, body);
          } else {
            req = (decision === 'approved' ? queue.approve : queue.decline)(entry.item, note);
          }
          return req.then(function (res) {
            var li = A.el('li');
            if (res.status >= 200 && res.status < 300) {
              done++;
              li.textContent = title(entry.item) + ': ' + A.words(decision).toLowerCase() + '.';
              decided(entry, res.data || {}, decision);
            } else {
              refused++;
              li.appendChild(A.el('strong', { className: 'error-text', text: title(entry.item) + ': not changed. ' }));
              li.appendChild(document.createTextNode(A.failure(res, queue.noun)));
            }
            list.appendChild(li);
          });
        });
      }, Promise.resolve()).then(function () {
        var report = C.byId('bulk-report');
        C.byId('bulk-report-title').textContent = A.plural(done, queue.noun) + ' decided' + (refused ? ', ' + A.number(refused) + ' refused' : '');
        report.hidden = false;
        report.focus();
        C.control(form, 'note').value = '';
        return Promise.all([refreshBudget(), refreshCounts()]);
      });
    });
  }

  /* ---------- the page ---------- */

  function start(name) {
    queueName = name;
    queue = QUEUES[name];
    var filters = A.filters(C.byId('review-filters'), { status: 'pending' });
    var status = filters.status || 'pending';
    var params = status === 'all' ? {} : { status: status };

    C.byId('select-all').addEventListener('change', function (event) {
      Object.keys(cards).forEach(function (id) {
        if (cards[id].checkbox) cards[id].checkbox.checked = event.target.checked;
      });
      updateBulkCount();
    });
    var form = C.byId('bulk-form');
    form.addEventListener('submit', function (event) { event.preventDefault(); });
    [['bulk-approve', 'approved'], ['bulk-decline', 'declined'], ['bulk-waitlist', 'waitlisted']].forEach(function (pair) {
      var b = C.byId(pair[0]);
      if (b) b.addEventListener('click', C.guard(b, function () { return bulk(pair[1]); }));
    });

    return A.all(A.eventPath(queue.path), params).then(function (res) {
      if (res.status === 422) {
        C.byId('results-count').textContent = A.failure(res);
        return null;
      }
      if (res.status !== 200 || !res.data) return A.fail(res);
      if (res.data.budget) showBudget(res.data.budget);
      var items = Array.isArray(res.data.items) ? res.data.items : [];
      var list = C.byId('review-list');
      list.textContent = '';
      items.forEach(function (item) { list.appendChild(card(item)); });
      C.byId('results-count').textContent = A.plural(items.length, queue.noun) +
        (status === 'all' ? ' in all.' : ': ' + statusText(status).toLowerCase() + '.');
      C.byId('review-empty').hidden = items.length > 0;
      C.byId('review-empty').textContent = status === 'pending'
        ? 'Nothing is waiting for a decision.'
        : 'There are no ' + queue.nouns + ' to show.';
      updateBulkCount();
      return null;
    });
  }

  ['requests', 'nominations', 'scholarships'].forEach(function (name) {
    A.register(name, function () { return start(name); });
  });
}());
