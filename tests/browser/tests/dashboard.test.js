// The organizer dashboard in a real browser: events, invitations (one, many from CSV,
// revoke, remind), the outbox with a failed email sent again, registrations, organizers,
// a reviewer's view, API tokens and webhooks, and axe on every page at laptop and tablet widths.
'use strict';

const assert = require('node:assert/strict');
const { before, after, test } = require('node:test');
const { Stack, ready, PASSWORD } = require('../lib/harness');

const SLUG = 'civic-lab-2027';
const REVIEWER = { email: 'robin.reviewer@organizers.example', name: 'Robin Patel' };

let s;

before(async () => {
  s = await Stack.start('dashboard');
});

after(async () => {
  if (s) await s.stop();
});

async function go(page, path) {
  await page.goto(path);
  await ready(page);
}

test('an admin signs in, creates an event and changes its dates, capacity, budget, window and status', async () => {
  const page = await s.page();
  try {
    await s.signIn(page);
    assert.equal(new URL(page.url()).pathname, '/admin');
    assert.equal(await page.locator('#account-name').innerText(), s.adminName);
    await s.axe(page, 'the events list (empty)');

    await page.getByRole('link', { name: 'Create an event' }).click();
    await ready(page);
    await s.axe(page, 'the new event form');
    await page.getByLabel('Name', { exact: true }).fill('Civic Innovation Lab 2027');
    await page.getByLabel('Short name for addresses').fill(SLUG);
    await page.getByLabel('Venue', { exact: true }).fill('Innovation Hall');
    await page.getByLabel('City', { exact: true }).fill('Madison');
    await page.getByLabel('First day').fill('2027-06-08');
    await page.getByLabel('Last day').fill('2027-06-07');
    await page.getByLabel('Capacity', { exact: true }).fill('forty');
    await page.getByLabel('Travel scholarship budget').fill('12,500');
    await page.getByRole('button', { name: 'Create the event' }).click();
    // Every mistake in one round: the capacity is not a number, the last day is before the first.
    await page.locator('#error-summary').waitFor({ state: 'visible' });
    assert.match(await page.locator('#error-summary').innerText(), /Last day[\s\S]*Capacity/);
    await s.axe(page, 'the new event form with errors');
    await page.getByLabel('Capacity', { exact: true }).fill('40');
    await page.getByLabel('Last day').fill('2027-06-10');
    await page.getByLabel('Registration closes (optional)').fill('2027-05-31T17:00');
    await page.getByRole('button', { name: 'Create the event' }).click();
    await page.waitForURL(new RegExp(`/admin/events/${SLUG}$`));
    await ready(page);
    assert.match(await page.locator('#flash').innerText(), /created/);
    assert.match(await page.locator('#event-summary').innerText(), /May 31, 2027 at 5:00 PM EDT/);

    await page.getByRole('link', { name: 'Change the event' }).click();
    await ready(page);
    assert.equal(await page.getByLabel('Registration closes (optional)').inputValue(), '2027-05-31T17:00');
    await page.getByLabel('Capacity', { exact: true }).fill('45');
    await page.getByLabel('Travel scholarship budget').fill('15000');
    await page.getByLabel('Last day').fill('2027-06-11');
    await page.getByLabel('Status', { exact: true }).selectOption('open');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(new RegExp(`/admin/events/${SLUG}$`));
    await ready(page);
    const summary = await page.locator('#event-summary').innerText();
    assert.match(summary, /45 seats/);
    assert.match(summary, /\$15,000\.00/);
    assert.match(summary, /June 11, 2027/);

    await go(page, '/admin');
    assert.match(await page.locator('#events-table').innerText(), /Civic Innovation Lab 2027/);
  } finally {
    await s.screenshot(page, 'admin-creates-and-changes-an-event');
  }
});

test('an organizer invites one person, then many from CSV with a report on every row, filters, revokes and reminds', async () => {
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, `/admin/events/${SLUG}/invitations`);
    await s.axe(page, 'the invitations page (empty)');

    await page.getByRole('button', { name: 'Invite one person' }).click();
    await page.getByLabel('Email address', { exact: true }).fill('maria.gomez@eastport.example');
    await page.getByLabel('Full name', { exact: true }).fill('Maria Gomez');
    await page.getByLabel('Job title').fill('City Manager');
    await page.getByLabel('City, town or county name').fill('Eastport');
    await page.getByLabel('State or region').fill('ME');
    await page.getByRole('button', { name: 'Send the invitation' }).click();
    await page.locator('#flash').waitFor({ state: 'visible' });
    assert.match(await page.locator('#flash').innerText(), /Invitation sent to Maria Gomez/);
    await s.mail.waitFor('maria.gomez@eastport.example', /invitation/i);

    await page.getByRole('button', { name: 'Invite many from a spreadsheet' }).click();
    const csv = [
      'email,full_name,title,community_name,community_state',
      'lee.chen@northfield.example,Lee Chen,Chief Operating Officer,Northfield,MN',
      'not-an-address,Sam Brooks,City Manager,Lakeside,MI',
      'maria.gomez@eastport.example,Maria Gomez,City Manager,Eastport,ME',
      'pat.bounce@harbor.example,Pat Harbor,City Administrator,Harbor City,CA',
      'ana.silva@southgate.example,Ana Silva,City Manager,Southgate,KY',
    ].join('\n');
    // Uploaded: the file's rows appear in the box, to be checked before sending.
    await page.getByLabel('Choose a CSV file (optional)').setInputFiles({ name: 'invitees.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.waitForFunction(() => document.getElementById('invite-csv').value.includes('lee.chen@northfield.example'));
    await page.getByRole('button', { name: 'Send the invitations' }).click();
    const report = page.locator('#bulk-report');
    await report.waitFor({ state: 'visible' });
    assert.match(await page.locator('#bulk-report-summary').innerText(), /3 invitations sent; 2 rows refused/);
    // Only the refused rows are left, in the box and in the report, each with its problems.
    const rows = await page.locator('#bulk-table tbody tr').allInnerTexts();
    assert.equal(rows.length, 2);
    assert.match(rows[0], /Sam Brooks[\s\S]*email/);
    assert.match(rows[1], /Maria Gomez[\s\S]*already/);
    assert.equal(await page.locator('#invite-csv').inputValue(), [csv.split('\n')[0], csv.split('\n')[2], csv.split('\n')[3]].join('\n'));
    await s.axe(page, 'the invitations page with a bulk report');

    // Search and filters change the address, so the result can be bookmarked.
    await page.getByLabel('Search by name or email').fill('chen');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/q=chen/);
    await ready(page);
    assert.equal(await page.locator('#invitations-table tbody tr').count(), 1);

    await go(page, `/admin/events/${SLUG}/invitations`);
    const ana = page.locator('#invitations-table tbody tr', { hasText: 'Ana Silva' });
    await ana.getByRole('button', { name: /Revoke/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await s.axe(page, 'the revoke confirmation');
    await dialog.getByRole('button', { name: 'Revoke the invitation' }).click();
    await page.locator('#flash', { hasText: 'revoked' }).waitFor();
    assert.match(await ana.innerText(), /Revoked/);

    // Remind: the count first, and nothing is sent until it is confirmed.
    await page.getByRole('button', { name: 'Remind everyone who has not answered' }).click();
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Remind 3 people\?/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'remind', 'focus returns to the button');
    await s.mail.waitFor('lee.chen@northfield.example', /^Your invitation/);
    const reminders = () => s.mail.to('lee.chen@northfield.example').filter((m) => /reminder/i.test(m.subject)).length;
    assert.equal(reminders(), 0, 'nothing sent on cancel');

    await page.getByRole('button', { name: 'Remind everyone who has not answered' }).click();
    await dialog.getByRole('button', { name: 'Send 3 reminders' }).click();
    await page.locator('#flash', { hasText: 'Reminders sent to 3 people' }).waitFor();
    await s.mail.waitFor('lee.chen@northfield.example', /reminder/i);
    await s.mail.waitFor('maria.gomez@eastport.example', /reminder/i);
  } finally {
    await s.screenshot(page, 'organizer-invites-one-and-many-and-reminds');
  }
});

test('a failed email is shown with its error and is sent again', async () => {
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, `/admin/events/${SLUG}/emails?status=failed`);
    // The SMTP server refused Pat's address; once it accepts it, send again.
    const rows = page.locator('#emails-table tbody tr', { hasText: 'pat.bounce@harbor.example' });
    const row = rows.first();
    await row.waitFor();
    // The invitation and the reminder were both refused.
    const failedBefore = await rows.count();
    assert.match(await row.innerText(), /Failed/);
    assert.match(await row.innerText(), /550/);
    await s.axe(page, 'the emails page with a failed email');
    s.mail.refuseBounces = false;
    await row.getByRole('button', { name: /Send again/ }).click();
    await page.locator('#flash', { hasText: 'will be sent again' }).waitFor();
    await s.mail.waitFor('pat.bounce@harbor.example', /invitation|reminder/i);
    await go(page, `/admin/events/${SLUG}/emails?status=failed`);
    assert.equal(await rows.count(), failedBefore - 1, 'the email sent again is no longer failed');
  } finally {
    await s.screenshot(page, 'failed-email-sent-again');
  }
});

test('an admin adds a reviewer, who sees their name and role and no admin-only controls', async () => {
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, '/admin/organizers');
    await s.axe(page, 'the organizers page');
    await page.getByRole('button', { name: 'Add an organizer' }).click();
    await page.getByLabel('Full name', { exact: true }).fill(REVIEWER.name);
    await page.getByLabel('Email address', { exact: true }).fill(REVIEWER.email);
    await page.getByLabel('Role', { exact: true }).selectOption('reviewer');
    await page.getByLabel('First password').fill('short');
    await page.getByRole('button', { name: 'Add the organizer' }).click();
    await page.locator('#add-errors').waitFor({ state: 'visible' });
    assert.match(await page.locator('#add-errors').innerText(), /at least 12 characters/);
    await page.getByLabel('First password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Add the organizer' }).click();
    await page.locator('#flash', { hasText: 'added as a reviewer' }).waitFor();
    assert.match(await page.locator('#organizers-table').innerText(), new RegExp(REVIEWER.name));

    await go(page, '/admin/audit');
    assert.match(await page.locator('#audit-table').innerText(), /organizer\.created/);
    await page.getByLabel('Kind of record').selectOption('event');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/entity_type=event/);
    await ready(page);
    const actions = await page.locator('#audit-table tbody tr').allInnerTexts();
    assert.ok(actions.length >= 2 && actions.every((r) => /event\./.test(r)), actions.join('\n'));
    await s.axe(page, 'the audit log');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/admin\/sign-in/);

    // The reviewer.
    await s.signIn(page, REVIEWER.email, PASSWORD);
    assert.equal(await page.locator('#account-name').innerText(), REVIEWER.name);
    assert.equal(await page.locator('#account-role').innerText(), 'REVIEWER');
    assert.equal(await page.getByRole('link', { name: 'Create an event' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Organizers' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Audit log' }).count(), 0);
    assert.equal(await page.locator('#events-table').getByRole('link', { name: /Change/ }).count(), 0);
    await go(page, `/admin/events/${SLUG}`);
    assert.equal(await page.getByRole('link', { name: 'Change the event' }).count(), 0);
    await go(page, '/admin/audit');
    await page.getByRole('heading', { name: 'Only admins can use this page' }).waitFor();
    await s.axe(page, 'the admins-only page, as a reviewer');
  } finally {
    await s.screenshot(page, 'reviewer-sees-no-admin-controls');
  }
});

test('an admin changes an organizer\'s role, then disables the account, which can no longer sign in', async () => {
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, '/admin/organizers');
    const robin = page.locator('#organizers-table tbody tr', { hasText: REVIEWER.name });
    await robin.getByLabel(`Role of ${REVIEWER.name}`).selectOption('admin');
    await robin.getByRole('button', { name: /Change role/ }).click();
    await page.locator('#flash', { hasText: `${REVIEWER.name} is now an admin` }).waitFor();
    assert.equal(await robin.getByLabel(`Role of ${REVIEWER.name}`).inputValue(), 'admin');

    await robin.getByRole('button', { name: /Disable/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Disable the account' }).click();
    await page.locator('#flash', { hasText: 'has been disabled' }).waitFor();
    assert.match(await robin.innerText(), /Disabled/);

    const other = await s.page();
    await other.goto('/admin/sign-in');
    await other.getByLabel('Email address').fill(REVIEWER.email);
    await other.getByLabel('Password').fill(PASSWORD);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.locator('#error-summary').waitFor({ state: 'visible' });
    assert.match(await other.locator('#error-summary').innerText(), /not right, or the account is disabled/);
    assert.equal(await other.getByLabel('Password').inputValue(), '', 'the password is cleared');
    await s.axe(other, 'the sign-in page with an error');
  } finally {
    await s.screenshot(page, 'admin-changes-role-and-disables');
  }
});

test('every dashboard page has no axe violations, at laptop and tablet widths', async () => {
  const admin = await s.login();
  // Something in every queue and list.
  const { link } = await s.invite(admin, SLUG, {
    email: 'kim.park@westbrook.example', full_name: 'Kim Park', title: 'City Manager', community: { name: 'Westbrook', state: 'OR' },
  });
  const token = new URL(link).pathname.split('/').pop();
  const reg = await s.api('POST', `/invitations/${token}/registration`, {
    full_name: 'Kim Park', email: 'kim.park@westbrook.example', title: 'City Manager', organization: 'City of Westbrook',
    community: { name: 'Westbrook', state: 'OR' }, dietary_requirements: 'No shellfish',
    young_leader_nomination: { full_name: 'Ari Cole', email: 'ari.cole@westbrook.example', title: 'Analyst', organization: 'City of Westbrook', reason: 'Leads our open data work.' },
    travel_scholarship: { travelers: 2, estimated_cost_cents: 150000, requested_amount_cents: 90000, justification: 'A long way to travel.' },
  });
  assert.equal(reg.status, 201, JSON.stringify(reg.data));
  const request = await s.api('POST', `/events/${SLUG}/invitation-requests`, {
    full_name: 'Jo Rivera', email: 'jo.rivera@millbrook.example', title: 'Town Administrator', organization: 'Town of Millbrook',
    community: { name: 'Millbrook', state: 'NY' }, reason: 'We are rebuilding our permitting and want to learn from peers.',
  });
  assert.equal(request.status, 202, JSON.stringify(request.data));
  const regs = await s.api('GET', `/events/${SLUG}/registrations`, undefined, admin);
  const kim = regs.data.items.find((r) => r.full_name === 'Kim Park');
  // An API token and a webhook, so that the Integrations page has rows.
  const apiToken = await s.api('POST', '/auth/tokens', { name: 'CRM sync', role: 'reviewer' }, admin);
  assert.equal(apiToken.status, 201, JSON.stringify(apiToken.data));
  const hook = await s.api('POST', '/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['registration.created'] }, admin);
  assert.equal(hook.status, 201, JSON.stringify(hook.data));

  const pages = [
    ['/admin', 'events'],
    [`/admin/events/${SLUG}`, 'overview'],
    [`/admin/events/${SLUG}/edit`, 'event-form'],
    ['/admin/events/new', 'new-event'],
    [`/admin/events/${SLUG}/invitations`, 'invitations'],
    [`/admin/events/${SLUG}/requests`, 'requests'],
    [`/admin/events/${SLUG}/nominations`, 'nominations'],
    [`/admin/events/${SLUG}/scholarships`, 'scholarships'],
    [`/admin/events/${SLUG}/registrations`, 'registrations'],
    [`/admin/events/${SLUG}/registrations/${kim.id}`, 'registration'],
    [`/admin/events/${SLUG}/emails`, 'emails'],
    ['/admin/organizers', 'organizers'],
    ['/admin/audit', 'audit'],
    ['/admin/integrations', 'integrations'],
    ['/admin/people', 'people'],
    ['/admin/settings', 'settings'],
    ['/admin/nothing-here', 'not-found'],
  ];
  for (const width of [1280, 768]) {
    const page = await s.page(width, 1000);
    try {
      await go(page, '/admin/sign-in');
      await s.axe(page, `the sign-in page at ${width}px`);
      await s.signIn(page);
      for (const [path, name] of pages) {
        await go(page, path);
        if (name === 'overview') await page.locator('#chart svg').waitFor();
        await s.axe(page, `${name} at ${width}px`);
        assert.deepEqual(page.errors, [], `no script errors on ${path}`);
        if (width === 768 || name === 'overview' || name === 'registration' || name === 'scholarships') {
          await s.screenshot(page, `dashboard-${name}-${width}`);
        }
      }
      // Sorting by a column heading, announced with aria-sort.
      await go(page, `/admin/events/${SLUG}/registrations`);
      await page.getByRole('button', { name: /^Name/ }).click();
      assert.equal(await page.locator('th[aria-sort]').getAttribute('aria-sort'), 'ascending');
      await s.axe(page, `registrations sorted at ${width}px`);
    } finally {
      await s.screenshot(page, `dashboard-every-page-${width}`);
    }
  }
});

test('a decision that someone else made first is refused clearly, and the note typed is kept', async () => {
  const first = await s.page();
  const second = await s.page();
  try {
    await s.signIn(first);
    await s.signIn(second);
    await go(first, `/admin/events/${SLUG}/requests`);
    await go(second, `/admin/events/${SLUG}/requests`);
    const mine = second.locator('.review-item', { hasText: 'Jo Rivera' });
    assert.match(await mine.innerText(), /Millbrook, NY/);
    assert.match(await mine.innerText(), /rebuilding our permitting/);

    const theirs = first.locator('.review-item', { hasText: 'Jo Rivera' });
    await theirs.getByRole('button', { name: /^Approve/ }).click();
    // One click emails the person: the decision is confirmed first.
    await first.getByRole('dialog').getByRole('button', { name: 'Approve', exact: true }).click();
    await theirs.locator('.review-item__outcome').waitFor();
    await s.mail.waitFor('jo.rivera@millbrook.example', /invitation/i);

    await mine.getByLabel('Note (optional)').fill('Not this year, sorry.');
    await mine.getByRole('button', { name: /^Decline/ }).click();
    await second.getByRole('dialog').getByRole('button', { name: 'Decline', exact: true }).click();
    const refusal = mine.locator('.error-summary');
    await refusal.waitFor({ state: 'visible' });
    assert.match(await refusal.innerText(), /already approved/);
    assert.equal(await second.evaluate(() => document.activeElement.classList.contains('error-summary')), true, 'focus moves to the refusal');
    assert.equal(await mine.getByLabel('Note (optional)').inputValue(), 'Not this year, sorry.');
    await s.axe(second, 'a review queue with a refusal');
  } finally {
    await s.screenshot(second, 'second-decision-refused');
  }
});

test('an organizer declines several requests at once, after a confirmation, with one note', async () => {
  for (const [name, email, town] of [['Sky Morgan', 'sky.morgan@ashford.example', 'Ashford'], ['Lou Baker', 'lou.baker@fairview.example', 'Fairview']]) {
    const res = await s.api('POST', `/events/${SLUG}/invitation-requests`, {
      full_name: name, email, title: 'Deputy City Manager', organization: `City of ${town}`,
      community: { name: town, state: 'TX' }, reason: 'Our city manager cannot attend.',
    });
    assert.equal(res.status, 202, JSON.stringify(res.data));
  }
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, `/admin/events/${SLUG}/requests`);
    await page.getByLabel('Select every item shown').check();
    assert.match(await page.locator('#bulk-count').innerText(), /2 requests selected/);
    await page.getByLabel('A note for the selected (optional)').fill('The summit is for chief executives only.');
    await page.getByRole('button', { name: 'Decline selected' }).click();
    const dialog = page.getByRole('dialog');
    assert.match(await dialog.innerText(), /Decline 2 requests\?[\s\S]*Sky Morgan; Lou Baker/);
    await dialog.getByRole('button', { name: 'Decline 2 requests' }).click();
    await page.locator('#bulk-report-title', { hasText: '2 requests decided' }).waitFor();
    assert.equal(await page.locator('.review-item .tag', { hasText: 'Declined' }).count(), 2);
    const email = await s.mail.waitFor('sky.morgan@ashford.example', /^Your request/);
    assert.match(email.text, /chief executives only/);
    await s.mail.waitFor('lou.baker@fairview.example', /^Your request/);
    await s.axe(page, 'the requests queue after a bulk decision');
  } finally {
    await s.screenshot(page, 'bulk-decline-of-requests');
  }
});

test('an admin makes an API token, sees its secret once, uses it, and revokes it; then adds a webhook', async () => {
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, '/admin/integrations');
    await page.getByRole('button', { name: 'Make an API token' }).click();
    await page.getByLabel('What it is for').fill('Nightly export');
    await page.getByLabel('Role').selectOption('reviewer');
    await page.getByRole('button', { name: 'Make the token' }).click();
    await page.locator('#token-secret-box').waitFor({ state: 'visible' });
    const secret = (await page.locator('#token-secret').innerText()).trim();
    assert.match(secret, /^cvt_[A-Za-z0-9_-]{43}$/);
    const row = page.locator('#tokens-table tbody tr', { hasText: 'Nightly export' });
    assert.match(await row.innerText(), /Active/);
    assert.ok(!(await page.locator('#tokens-table').innerText()).includes(secret.slice(4)), 'the list never shows it');

    // The token works as a reviewer's credential, with no cookie.
    const me = await fetch(`${s.base}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).role, 'reviewer');

    await row.getByRole('button', { name: /Revoke/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke the token' }).click();
    await page.locator('#flash', { hasText: 'Nightly export has been revoked' }).waitFor();
    assert.match(await row.innerText(), /Revoked/);
    const after = await fetch(`${s.base}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(after.status, 401);

    await page.getByRole('button', { name: 'Add a webhook' }).click();
    await page.getByLabel('Receiver URL').fill('https://crm.example.org/hooks/convene');
    await page.getByRole('button', { name: 'Add the webhook' }).click();
    await page.locator('#hook-secret-box').waitFor({ state: 'visible' });
    assert.match(await page.locator('#hook-secret').innerText(), /^whsec_/);
    // The list is loaded again after the secret is shown: wait for the new row (another
    // test of this file may have listed a hook already).
    await page.locator('#hooks-table tbody tr', { hasText: 'crm.example.org' }).waitFor();
    await s.axe(page, 'the integrations page with a new secret shown');
  } finally {
    await s.screenshot(page, 'admin-integrations');
  }
});

test('an admin shows what is held about a person, keeps it at first, then erases it', async () => {
  const admin = await s.login();
  await s.invite(admin, SLUG, {
    email: 'lee.gone@eastfield.example', full_name: 'Lee Gone', title: 'Mayor', community: { name: 'Eastfield', state: 'OH' },
  });
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, '/admin/people');
    // Nothing typed: the field is named.
    await page.getByRole('button', { name: 'Show what is held' }).click();
    await page.locator('#person-errors', { hasText: 'Enter the email address of the person' }).waitFor();
    await page.getByLabel('Their email address').fill('Lee.Gone@Eastfield.example');
    await page.getByRole('button', { name: 'Show what is held' }).click();
    await page.locator('#person-address', { hasText: 'lee.gone@eastfield.example' }).waitFor();
    const invitations = page.locator('#person-counts tr', { hasText: 'Invitations' });
    assert.match(await invitations.innerText(), /1$/);
    await s.axe(page, 'a person\'s data, found');

    // Kept at first: the invitation still stands.
    await page.getByRole('button', { name: 'Erase this person' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Keep' }).click();
    assert.equal(await page.locator('#person-result').isVisible(), true);

    await page.getByRole('button', { name: 'Erase this person' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Erase' }).click();
    await page.locator('#flash', { hasText: 'lee.gone@eastfield.example is erased' }).waitFor();
    assert.match(await page.locator('#flash').innerText(), /1 invitations \(1 withdrawn first\)/);

    // Asked again, nothing is held.
    await page.getByRole('button', { name: 'Show what is held' }).click();
    await page.locator('#person-result').waitFor({ state: 'visible' });
    assert.match(await invitations.innerText(), /0$/);
    assert.equal(await page.getByRole('button', { name: 'Erase this person' }).isVisible(), false);
  } finally {
    await s.screenshot(page, 'admin-people');
  }
});

test('approving a nomination when no seat is free says so first, and Not now changes nothing', async () => {
  const admin = await s.login();
  const slug = 'full-house-2027';
  await s.createEvent(admin, { slug, capacity: 1 });
  const { link } = await s.invite(admin, slug, {
    email: 'ola.berg@northfield.example', full_name: 'Ola Berg', title: 'Mayor', community: { name: 'Northfield', state: 'MN' },
  });
  const token = new URL(link).pathname.split('/').pop();
  const reg = await s.api('POST', `/invitations/${token}/registration`, {
    full_name: 'Ola Berg', email: 'ola.berg@northfield.example', title: 'Mayor', organization: 'City of Northfield',
    community: { name: 'Northfield', state: 'MN' },
    young_leader_nomination: {
      full_name: 'Kai Lund', email: 'kai.lund@northfield.example', title: 'Youth Council Chair',
      organization: 'Northfield Youth Council', reason: 'Led the youth budget assembly.',
    },
  });
  assert.equal(reg.status, 201, JSON.stringify(reg.data));
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, `/admin/events/${slug}/nominations`);
    const card = page.locator('.review-item', { hasText: 'Kai Lund' });
    await card.getByRole('button', { name: /^Approve/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /No seat is free now\. Kai Lund will be invited, and if they register they join the waiting list/);
    await s.axe(page, 'the confirmation before approving a nomination with no seat free');
    await dialog.getByRole('button', { name: 'Not now' }).click();
    assert.match(await card.innerText(), /Waiting for a decision/);
    const still = await s.api('GET', `/events/${slug}/nominations`, undefined, admin);
    assert.equal(still.data.items[0].status, 'pending', 'nothing was decided');
  } finally {
    await s.screenshot(page, 'nomination-approval-when-full');
  }
});
