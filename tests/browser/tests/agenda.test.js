// The event's own content. The agenda: an organizer adds sessions in the dashboard (one
// outside the event's dates is refused at its field), changes one and removes one; the
// public event page then shows the agenda by day, in order, with its times. The event
// form's content fields: description, practical information and contact address, shown
// on the event page as safe HTML. axe at 1280 and 320 px.
'use strict';

const assert = require('node:assert/strict');
const { before, after, test } = require('node:test');
const { Stack, ready } = require('../lib/harness');

const SLUG = 'future-city-2027';

let s;
let admin;

before(async () => {
  s = await Stack.start('agenda');
  admin = await s.login();
  // April 20 to 22, 2027, in New York.
  await s.createEvent(admin, { slug: SLUG });
});

after(async () => {
  if (s) await s.stop();
});

async function fits(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
}

/** Waits for this action's own message at the top of the page. */
async function told(page, text) {
  await page.locator('#flash-text', { hasText: text }).waitFor();
}

async function fill(page, { title, starts, ends, location }) {
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Starts', { exact: true }).fill(starts);
  await page.getByLabel('Ends', { exact: true }).fill(ends);
  await page.getByLabel('Room or place (optional)').fill(location || '');
}

async function sessionTitles() {
  const res = await s.api('GET', `/events/${SLUG}/sessions`);
  assert.equal(res.status, 200, JSON.stringify(res.data));
  return res.data.items.map((x) => x.title);
}

test('an organizer builds the agenda, is told of a session outside the event, and the event page shows it in order', async () => {
  const page = await s.page(1280, 900);
  try {
    await s.signIn(page);
    await page.goto(`/admin/events/${SLUG}/agenda`);
    await ready(page);
    await page.locator('#sessions-empty').waitFor({ state: 'visible' });
    assert.match(await page.locator('#session-starts-hint').innerText(), /April 20/);
    await s.axe(page, 'the agenda page (empty)');

    // The day before the event: the refusal names the start, at its field.
    await fill(page, { title: 'Site visits', starts: '2027-04-19T09:00', ends: '2027-04-19T12:00', location: 'Riverside' });
    await page.getByRole('button', { name: 'Add the session' }).click();
    const summary = page.locator('#session-errors');
    await summary.waitFor({ state: 'visible' });
    assert.match(await summary.innerText(), /Starts: Must be during the event.s dates/);
    assert.match(await page.locator('#session-starts-error').innerText(), /during the event.s dates/);
    assert.equal(await page.getByLabel('Starts', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await sessionTitles(), []);
    await s.axe(page, 'the agenda page with an error');

    // What was typed is still there: only the dates change.
    await page.getByLabel('Starts', { exact: true }).fill('2027-04-21T09:00');
    await page.getByLabel('Ends', { exact: true }).fill('2027-04-21T12:00');
    await page.getByRole('button', { name: 'Add the session' }).click();
    await told(page, 'Added “Site visits” to the agenda.');
    assert.ok(await summary.isHidden());

    await fill(page, { title: 'Opening plenary', starts: '2027-04-20T09:00', ends: '2027-04-20T10:30', location: 'Memorial Hall' });
    await page.getByRole('button', { name: 'Add the session' }).click();
    await told(page, 'Added “Opening plenary” to the agenda.');
    await fill(page, { title: 'Coffee', starts: '2027-04-20T10:30', ends: '2027-04-20T11:00' });
    await page.getByRole('button', { name: 'Add the session' }).click();
    await told(page, 'Added “Coffee” to the agenda.');
    assert.deepEqual(await sessionTitles(), ['Opening plenary', 'Coffee', 'Site visits']);

    // The list is in time order, with the times on the event's clock.
    const rows = page.locator('#sessions-table tbody tr');
    assert.equal(await rows.count(), 3);
    assert.match(await rows.nth(0).innerText(), /^09:00 – 10:30\s+Apr 20, 2027\s+Opening plenary\s+Memorial Hall/);
    assert.match(await rows.nth(2).innerText(), /^09:00 – 12:00\s+Apr 21, 2027\s+Site visits\s+Riverside/);

    // Changed: the site visits run longer; the form says what it changes.
    await page.getByRole('button', { name: 'Change Site visits' }).click();
    await page.getByRole('heading', { name: 'Change “Site visits”' }).waitFor();
    assert.equal(await page.getByLabel('Starts', { exact: true }).inputValue(), '2027-04-21T09:00');
    await page.getByLabel('Ends', { exact: true }).fill('2027-04-21T12:30');
    await page.getByRole('button', { name: 'Save the session' }).click();
    await told(page, 'Saved “Site visits”.');
    await page.getByRole('heading', { name: 'Add a session' }).waitFor();

    // Removed, after asking.
    await page.getByRole('button', { name: 'Remove Coffee' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Remove “Coffee” from the agenda?').waitFor();
    await dialog.getByRole('button', { name: 'Remove the session' }).click();
    await told(page, 'Removed “Coffee” from the agenda.');
    assert.equal(await rows.count(), 2);
    assert.deepEqual(await sessionTitles(), ['Opening plenary', 'Site visits']);
    await s.axe(page, 'the agenda page with sessions');
    assert.deepEqual(page.errors, []);
  } finally {
    await s.screenshot(page, 'agenda-page');
  }

  const visitor = await s.page(1280, 900);
  try {
    await visitor.goto(`/events/${SLUG}`);
    const agenda = visitor.locator('#agenda');
    await agenda.getByRole('heading', { name: 'Agenda' }).waitFor();
    const days = await agenda.locator('h3').allInnerTexts();
    assert.deepEqual(days, ['Tuesday 20 April 2027', 'Wednesday 21 April 2027']);
    const items = (await agenda.locator('.agenda__item').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    assert.equal(items.length, 2);
    assert.match(items[0], /^09:00 – 10:30 Opening plenary · Memorial Hall$/);
    assert.match(items[1], /^09:00 – 12:30 Site visits · Riverside$/);
    assert.deepEqual(visitor.errors, []);
  } finally {
    await s.screenshot(visitor, 'agenda-event-page');
  }

  const phone = await s.page(320, 740);
  try {
    await s.signIn(phone);
    await phone.goto(`/admin/events/${SLUG}/agenda`);
    await ready(phone);
    await phone.getByRole('button', { name: 'Change Opening plenary' }).waitFor();
    await fits(phone);
    await s.axe(phone, 'the agenda page at 320 px');
  } finally {
    await s.screenshot(phone, 'agenda-page-320');
  }
});

test('an admin writes the event page in the event form, is told of two mistakes at once, and the page shows it safely', async () => {
  const page = await s.page(1280, 900);
  try {
    await s.signIn(page);
    await page.goto(`/admin/events/${SLUG}/edit`);
    await ready(page);
    await page.getByLabel('Description (optional)').fill(
      'A two-day **summit** for city leaders.\n\n<script>window.pwned = 1</script>\n\n[Click me](javascript:alert(1))',
    );
    await page.getByLabel('Practical information (optional)').fill('Lunch is served on both days.\n\n- Hotel: *The Inn*');
    await page.getByLabel('Organizing team’s email address (optional)').fill('not an address');
    await page.getByLabel('Days an invitation stays valid').fill('0');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const summary = page.locator('#error-summary');
    await summary.waitFor({ state: 'visible' });
    const said = await summary.innerText();
    assert.match(said, /Organizing team’s email address/);
    assert.match(said, /Days an invitation stays valid/);
    await s.axe(page, 'the event form with content errors');

    await page.getByLabel('Organizing team’s email address (optional)').fill('summit@example.org');
    await page.getByLabel('Days an invitation stays valid').fill('14');
    await page.getByLabel('Young leaders each executive may nominate').fill('2');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(new RegExp(`/admin/events/${SLUG}$`));
    await ready(page);
    await told(page, 'The event has been saved.');
    const saved = await s.api('GET', `/events/${SLUG}`, undefined, admin);
    assert.equal(saved.data.contact_email, 'summit@example.org');
    assert.equal(saved.data.invitation_ttl_days, 14);
    assert.equal(saved.data.nominations_per_executive, 2);
    assert.deepEqual(page.errors, []);
  } finally {
    await s.screenshot(page, 'event-form-content');
  }

  const visitor = await s.page(320, 740);
  try {
    await visitor.goto(`/events/${SLUG}`);
    const description = visitor.locator('#event-description');
    await description.waitFor();
    assert.equal(await description.locator('strong').innerText(), 'summit');
    assert.equal(await description.locator('script').count(), 0);
    assert.equal(await visitor.evaluate(() => window.pwned), undefined);
    const hrefs = await description.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(hrefs.every((h) => !h || !/^javascript:/i.test(h)), JSON.stringify(hrefs));
    assert.match(await visitor.locator('#event-practical').innerText(), /Lunch is served on both days/);
    assert.equal(await visitor.locator('#event-practical li em').innerText(), 'The Inn');
    await visitor.getByRole('link', { name: 'summit@example.org' }).first().waitFor();
    await fits(visitor);
    await s.axe(visitor, 'the event page with its content and agenda at 320 px');
    assert.deepEqual(visitor.errors, []);
  } finally {
    await s.screenshot(visitor, 'event-page-content-320');
  }
});
