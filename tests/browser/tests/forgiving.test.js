// The dashboard forgives (issue 15): an organizer chooses their notices on a settings
// page whose success message never goes stale; an executive nominates a young leader
// from the manage page after registering, and withdraws the nomination, with the
// keyboard; an admin filters the audit log by person and kind of act, each person's name
// linked to their registration and times in the event's zone. Axe on each page at 1280
// and 320 px.
'use strict';

const assert = require('node:assert/strict');
const { before, after, test } = require('node:test');
const { Stack, ready, tabTo } = require('../lib/harness');

const SLUG = 'forgiving-2027';
const DANA = {
  email: 'dana.whitfield@springfield.example',
  full_name: 'Dana Whitfield',
  title: 'City Manager',
  community: { name: 'Springfield', state: 'IL' },
};

let s;
let admin;
let manageUrl;
let registrationId;

before(async () => {
  s = await Stack.start('forgiving');
  admin = await s.login();
  await s.createEvent(admin, { slug: SLUG, timezone: 'America/Los_Angeles' });
  const { link } = await s.invite(admin, SLUG, DANA);
  const token = new URL(link).pathname.split('/').pop();
  const res = await s.api('POST', `/invitations/${token}/registration`, {
    ...DANA,
    organization: 'City of Springfield',
  });
  assert.equal(res.status, 201, JSON.stringify(res.data));
  manageUrl = res.data.manage_url;
  registrationId = res.data.registration.id;
});

after(async () => {
  if (s) await s.stop();
});

async function go(page, path) {
  await page.goto(path);
  await ready(page);
}

test('an organizer chooses their notices on the settings page, and the saved message goes once the choice changes', async () => {
  const page = await s.page();
  try {
    await s.signIn(page);
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Your settings' }).click();
    await ready(page);
    assert.equal(new URL(page.url()).pathname, '/admin/settings');
    const each = page.getByLabel('Email me about each new item');
    const none = page.getByLabel('No emails: I will look in the dashboard');
    assert.equal(await none.isChecked(), true, 'the stored choice is shown');
    assert.match(await page.locator('#settings-email').innerText(), /avery\.admin@organizers\.example/);
    await s.axe(page, 'the settings page');

    // With the keyboard: to the radios, choose, save.
    await tabTo(page, '#review-notices-none');
    await page.keyboard.press('ArrowUp');
    assert.equal(await each.isChecked(), true);
    await tabTo(page, '#settings-save');
    await page.keyboard.press('Enter');
    const flash = page.locator('#flash');
    await flash.waitFor({ state: 'visible' });
    assert.match(await flash.innerText(), /email you about each new item/);
    const me = await s.api('GET', '/auth/me', undefined, admin);
    assert.equal(me.data.review_notices, 'each');
    await s.axe(page, 'the settings page, saved');

    // Changing the choice again makes the message about the last save stale: it goes.
    await none.check();
    assert.equal(await flash.isVisible(), false, 'no stale success message');
    await page.getByRole('button', { name: 'Save your settings' }).click();
    await flash.waitFor({ state: 'visible' });
    assert.match(await flash.innerText(), /will not email you/);
    assert.equal((await s.api('GET', '/auth/me', undefined, admin)).data.review_notices, 'none');
    assert.deepEqual(page.errors, []);
  } finally {
    await s.screenshot(page, 'settings-page');
  }
});

test('an executive nominates a young leader from the manage page and withdraws the nomination, with the keyboard', async () => {
  const page = await s.page();
  try {
    await page.goto(manageUrl);
    await page.locator('#state-registration').waitFor({ state: 'visible' });
    const open = page.getByRole('button', { name: 'Nominate a young leader' });
    assert.equal(await open.isVisible(), true, 'offered after registering');
    await tabTo(page, '#nomination-open');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'nominee-full-name', 'focus moves into the form');
    await s.axe(page, 'the manage page with the nomination form open');

    // Nothing typed: every field named at once.
    const form = page.locator('#nomination-form');
    await tabTo(page, '#nomination-send');
    await page.keyboard.press('Enter');
    const summary = page.locator('#nomination-error-summary');
    await summary.waitFor({ state: 'visible' });
    const items = await summary.locator('.error-summary__list li').allInnerTexts();
    assert.equal(items.length, 5, items.join(' | '));
    assert.match(items[0], /Their full name/);
    assert.match(items[1], /Their email address/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'nomination-error-summary', 'focus moves to the summary');
    assert.equal(await form.getByLabel('Their full name').getAttribute('aria-invalid'), 'true');
    await s.axe(page, 'the nomination form with errors');

    await form.getByLabel('Their full name').fill('Jordan Lee');
    await form.getByLabel('Their job title').fill('Policy Analyst');
    await form.getByLabel('Their organization').fill('City of Springfield');
    await form.getByLabel('Why are you nominating them?').fill('Leads our participatory budgeting pilot.');
    // Their own address is not the young leader's: named, the rest kept.
    await form.getByLabel('Their email address').fill(DANA.email);
    await tabTo(page, '#nomination-send');
    await page.keyboard.press('Enter');
    await summary.locator('li', { hasText: 'not yours' }).waitFor();
    assert.equal(await summary.locator('.error-summary__list li').count(), 1);
    assert.equal(await form.getByLabel('Their full name').inputValue(), 'Jordan Lee', 'what was typed is kept');
    await form.getByLabel('Their email address').fill('jordan.lee@springfield.example');
    await tabTo(page, '#nomination-send');
    await page.keyboard.press('Enter');
    const notice = page.locator('#notification');
    await notice.waitFor({ state: 'visible' });
    assert.match(await notice.innerText(), /nomination of Jordan Lee/);
    assert.equal(await form.isVisible(), false);
    assert.equal(await open.isVisible(), false, 'one nomination per executive: no second offered');
    assert.match(await page.locator('#nomination-list').innerText(), /Waiting for review/);
    await s.mail.waitFor(DANA.email, /nomination of Jordan Lee/);

    await tabTo(page, '.js-withdraw-nomination');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Withdraw the nomination of Jordan Lee');
    await page.keyboard.press('Enter');
    await page.locator('#notification-text', { hasText: 'withdrawn' }).waitFor();
    assert.match(await page.locator('#nomination-list').innerText(), /Withdrawn/);
    assert.equal(await open.isVisible(), true, 'room for another once withdrawn');
    assert.equal(await page.getByRole('button', { name: /Withdraw the nomination/ }).count(), 0);
    await s.axe(page, 'the manage page after withdrawing');
    assert.deepEqual(page.errors, []);
  } finally {
    await s.screenshot(page, 'manage-nominate-withdraw');
  }
});

test('an admin filters the audit log by person and kind of act, the name linked and times in the event zone', async () => {
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, '/admin/audit');
    await page.getByLabel('Person (email or name)').fill('whitfield');
    await page.getByLabel('Kind of act').selectOption('nomination.withdrawn');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/person=whitfield/);
    await ready(page);
    const rows = page.locator('#audit-table tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1, 'only the withdrawal of her nomination');
    const link = rows.first().getByRole('link', { name: 'Dana Whitfield' });
    assert.equal(await link.getAttribute('href'), `/admin/events/${SLUG}/registrations/${registrationId}`);
    assert.match(await rows.first().locator('td').first().innerText(), /P[SD]T/, 'the event is in Los Angeles');
    await s.axe(page, 'the audit log filtered by person and act');

    // Without the act: all of hers, none of anybody else's.
    await go(page, '/admin/audit?person=whitfield');
    assert.ok(await rows.count() >= 4);
    const abouts = await page.locator('#audit-table tbody tr td:nth-child(4)').allInnerTexts();
    abouts.forEach((a) => assert.match(a, /Dana Whitfield/));

    // A filter the API refuses is named, not shown as an empty log.
    await go(page, '/admin/audit?before=0');
    const summary = page.locator('#audit-errors');
    await summary.waitFor({ state: 'visible' });
    assert.match(await summary.innerText(), /Older entries: Must be a positive entry id/);
    assert.equal(await page.locator('#audit-empty').isVisible(), false, 'not "nothing matches"');
    assert.deepEqual(page.errors, []);
  } finally {
    await s.screenshot(page, 'audit-log-filtered');
  }
});

test('the settings, manage and audit pages pass axe at 320 px', async () => {
  const page = await s.page(320, 800);
  try {
    await s.signIn(page);
    await go(page, '/admin/settings');
    await s.axe(page, 'the settings page at 320px');
    await go(page, '/admin/audit?person=whitfield');
    await s.axe(page, 'the audit log filtered at 320px');
    await s.screenshot(page, 'audit-log-at-320');
    await page.goto(manageUrl);
    await page.locator('#state-registration').waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Nominate a young leader' }).click();
    await page.getByRole('button', { name: 'Send the nomination' }).click();
    await page.locator('#nomination-error-summary').waitFor({ state: 'visible' });
    await s.axe(page, 'the manage page nomination form with errors at 320px');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling at 320 px (${overflow}px)`);
    assert.deepEqual(page.errors, []);
  } finally {
    await s.screenshot(page, 'manage-nomination-at-320');
  }
});
