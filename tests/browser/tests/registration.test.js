// An executive registers through the link in their invitation email, nominating a young
// leader and asking for a travel scholarship; another does it with the keyboard alone;
// then an organizer approves the nomination and awards a partial scholarship in the
// dashboard, and the emails arrive at a real SMTP server.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { before, after, test } = require('node:test');
const { Stack, ready, tabTo, linkIn } = require('../lib/harness');

const SLUG = 'future-city-2027';
const DANA = {
  email: 'dana.whitfield@springfield.example',
  full_name: 'Dana Whitfield',
  title: 'City Manager',
  community: { name: 'Springfield', state: 'IL' },
};
const RAFAEL = {
  email: 'rafael.ortiz@riverton.example',
  full_name: 'Rafael Ortiz',
  title: 'Chief Administrative Officer',
  community: { name: 'Riverton', state: 'WY' },
};
const NOMINEE = 'jordan.lee@springfield.example';

let s;
let admin;

before(async () => {
  s = await Stack.start('registration');
  admin = await s.login();
  // A small budget, so that the second award is refused for want of money.
  await s.createEvent(admin, { slug: SLUG, scholarship_budget_cents: 100000 });
});

after(async () => {
  if (s) await s.stop();
});

/** Waits for the invitation page to show its form. */
async function openInvitation(page, link) {
  await page.goto(link);
  await page.locator('#registration-form').waitFor({ state: 'visible' });
}

test('the public event page offers a request for an invitation and passes axe', async () => {
  const page = await s.page();
  try {
    const res = await page.goto(`/events/${SLUG}`);
    assert.equal(res.status(), 200);
    await page.waitForLoadState('networkidle');
    await assert.doesNotReject(page.locator('h1').first().waitFor({ state: 'visible' }));
    await s.axe(page, 'the public event page');
  } finally {
    await s.screenshot(page, 'public-event-page');
  }
});

test('an executive registers with a nomination and a scholarship request, after fixing a field error', async () => {
  const { link } = await s.invite(admin, SLUG, DANA);
  const page = await s.page();
  try {
    await openInvitation(page, link);
    assert.equal(await page.locator('#full-name').inputValue(), DANA.full_name, 'prefilled from the invitation');
    await s.axe(page, 'the registration form');

    await page.getByLabel('Organization', { exact: true }).fill('City of Springfield');
    await page.getByLabel('Dietary requirements').fill('Vegetarian');
    await page.getByLabel('Accessibility needs').fill('Step-free access to the venue, please.');

    await page.getByLabel('Nominate a young leader from your community').check();
    await page.getByLabel('Their full name').fill('Jordan Lee');
    // A mistake the service catches: not an email address.
    await page.getByLabel('Their email address').fill('jordan.lee at springfield');
    await page.getByLabel('Their job title').fill('Innovation Fellow');
    await page.getByLabel('Their organization').fill('City of Springfield');
    await page.getByLabel('Why are you nominating them?').fill('Jordan runs our resident data program and will lead what we bring home.');

    await page.getByLabel('Request a travel scholarship').check();
    await page.getByLabel('How many people from your community would travel?').fill('2');
    await page.getByLabel('Estimated total cost of travel').fill('1,800');
    await page.getByLabel('Amount you are asking for').fill('1200');
    await page.getByLabel('Why does your community need help to attend?').fill('Our travel budget was cut this year and the flight from Springfield is long.');

    await page.getByRole('button', { name: 'Register' }).click();
    const summary = page.locator('#error-summary');
    await summary.waitFor({ state: 'visible' });
    assert.match(await summary.innerText(), /Their email address/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'error-summary', 'focus moves to the error summary');
    assert.equal(await page.locator('#nominee-email').getAttribute('aria-invalid'), 'true');
    assert.match(await page.title(), /^Error: /);
    await s.axe(page, 'the registration form with errors');

    // Following the summary's link puts focus on the field to fix.
    await summary.getByRole('link', { name: /Their email address/ }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'nominee-email');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(NOMINEE);
    assert.equal(await page.getByLabel('Amount you are asking for').inputValue(), '1200', 'what was typed is kept');
    await page.getByRole('button', { name: 'Register' }).click();

    await page.getByRole('heading', { name: 'Registration complete' }).waitFor();
    assert.match(await page.locator('#confirmation-nomination').innerText(), /Jordan Lee/);
    assert.match(await page.locator('#confirmation-scholarship').innerText(), /\$1,200\.00/);

    const confirmation = await s.mail.waitFor(DANA.email, /registered/i);
    assert.ok(confirmation.attachments.some((a) => /calendar|ics/i.test(`${a.contentType} ${a.filename}`)), 'the confirmation carries a calendar file');
    const manage = linkIn(confirmation, '/manage/');

    await page.getByRole('link', { name: 'Manage your registration' }).click();
    await page.locator('#state-registration').waitFor({ state: 'visible' });
    assert.equal(new URL(page.url()).pathname, new URL(manage).pathname, 'the page links to the same private address as the email');
    await s.axe(page, 'the manage page');
  } finally {
    await s.screenshot(page, 'executive-registers-with-nomination-and-scholarship');
  }
});

test('an executive completes the registration form with the keyboard alone', async () => {
  const { link } = await s.invite(admin, SLUG, RAFAEL);
  const page = await s.page();
  try {
    await openInvitation(page, link);
    // From the top of the page, as someone who has just followed the link.
    await page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });
    const first = await tabTo(page, 'a.skip-link', 1);
    assert.equal(first, 1, 'the skip link comes first');

    await tabTo(page, '#organization');
    await page.keyboard.type('Town of Riverton');
    await tabTo(page, '#request-scholarship');
    await page.keyboard.press('Space');
    await tabTo(page, '#scholarship-travelers');
    await page.keyboard.type('1');
    await page.keyboard.press('Tab');
    await page.keyboard.type('900');
    await page.keyboard.press('Tab');
    await page.keyboard.type('600');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Riverton is nine hours away by road and has no travel line for this.');
    await tabTo(page, '#register-button');
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { name: 'Registration complete' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'confirmation-title', 'focus moves to the confirmation');
    await s.mail.waitFor(RAFAEL.email, /registered/i);
  } finally {
    await s.screenshot(page, 'executive-registers-with-keyboard-only');
  }
});

test('an organizer approves the nomination and awards a partial scholarship, and the emails arrive', async () => {
  const page = await s.page();
  try {
    // Anyone not signed in is sent to the sign-in page, and back afterwards.
    await page.goto(`/admin/events/${SLUG}`);
    await page.waitForURL(/\/admin\/sign-in\?next=/);
    await page.getByLabel('Email address').fill(s.adminEmail);
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(new RegExp(`/admin/events/${SLUG}$`));
    await ready(page);
    assert.equal(await page.locator('#account-name').innerText(), s.adminName);
    assert.equal(await page.locator('#account-role').innerText(), 'ADMIN');
    assert.equal(await page.locator('#stat-confirmed').innerText(), '2');
    assert.equal(await page.locator('#stat-nominations-pending').innerText(), '1 nomination');
    assert.equal(await page.locator('#stat-scholarships-pending').innerText(), '2 scholarship requests');

    // The nomination, with who nominated and why.
    await page.getByRole('navigation', { name: 'This event' }).getByRole('link', { name: /Nominations/ }).click();
    await ready(page);
    const nomination = page.locator('.review-item', { hasText: 'Jordan Lee' });
    assert.match(await nomination.innerText(), /Dana Whitfield/);
    assert.match(await nomination.innerText(), /resident data program/);
    await nomination.getByLabel('Note (optional)').fill('Delighted to have Jordan join.');
    await nomination.getByRole('button', { name: /^Approve/ }).click();
    // Asked first, with what approving means while seats are free.
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Jordan Lee will be invited by email to register \(\d+ seats? free now\)/);
    await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
    await nomination.locator('.review-item__outcome').waitFor();
    assert.match(await nomination.innerText(), /Approved/);

    const invitation = await s.mail.waitFor(NOMINEE, /nominated you/i);
    assert.match(invitation.text, /Dana Whitfield/);
    linkIn(invitation, '/invite/');
    await s.mail.waitFor(DANA.email, /Jordan Lee is invited/i);

    // The scholarships, with the budget left: award Dana part of what she asked for.
    await page.getByRole('navigation', { name: 'This event' }).getByRole('link', { name: /Scholarships/ }).click();
    await ready(page);
    assert.equal(await page.locator('#budget-left').innerText(), '$1,000.00');
    const dana = page.locator('.review-item', { hasText: 'Dana Whitfield' });
    assert.match(await dana.innerText(), /\$1,800\.00/);
    assert.match(await dana.innerText(), /travel budget was cut/);
    await dana.getByLabel('Amount to award').fill('800');
    await dana.getByRole('button', { name: /^Approve and award/ }).click();
    await dana.locator('.review-item__outcome').waitFor();
    assert.match(await dana.innerText(), /\$800\.00 awarded/);
    await page.waitForFunction(() => document.getElementById('budget-left').textContent === '$200.00');
    const decision = await s.mail.waitFor(DANA.email, /^Your travel scholarship: \$800\.00/);
    assert.match(decision.text, /\$800/);

    // More than is left: refused with the amount left named, and the form kept.
    const rafael = page.locator('.review-item', { hasText: 'Rafael Ortiz' });
    await rafael.getByLabel('Amount to award').fill('600');
    await rafael.getByRole('button', { name: /^Approve and award/ }).click();
    const refusal = rafael.locator('.error-summary');
    await refusal.waitFor({ state: 'visible' });
    assert.match(await refusal.innerText(), /\$?200/);
    assert.equal(await rafael.getByLabel('Amount to award').inputValue(), '600', 'the form keeps what was typed');
    await s.axe(page, 'the scholarships queue with a refusal');
  } finally {
    await s.screenshot(page, 'organizer-approves-nomination-and-awards-scholarship');
  }
});

test('an organizer finds a registration with its needs, decisions and emails, and exports the CSV files', async () => {
  const page = await s.page();
  try {
    await s.signIn(page);
    await page.goto(`/admin/events/${SLUG}/registrations`);
    await ready(page);
    await page.getByLabel('Search by name, email or organization').fill('whitfield');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/q=whitfield/);
    await ready(page);
    assert.equal(await page.locator('#registrations-table tbody tr').count(), 1);

    // Both exports are plain downloads of the API's CSV, with the session cookie.
    for (const [name, expected] of [['Download registrations (CSV)', /Dana Whitfield/], ['Download scholarships (CSV)', /800|80000/]]) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name }).click(),
      ]);
      const file = await download.path();
      assert.match(download.suggestedFilename(), /\.csv$/);
      assert.match(fs.readFileSync(file, 'utf8'), expected, name);
    }

    await page.getByRole('link', { name: 'Dana Whitfield' }).click();
    await ready(page);
    assert.equal(await page.locator('#page-title').innerText(), 'Dana Whitfield');
    assert.match(await page.locator('#needs').innerText(), /Vegetarian[\s\S]*Step-free access/);
    assert.match(await page.locator('#nomination').innerText(), /Jordan Lee[\s\S]*Approved/);
    assert.match(await page.locator('#scholarship').innerText(), /\$1,200\.00[\s\S]*\$800\.00/);
    assert.match(await page.locator('#emails-table').innerText(), /registered/);
    await s.axe(page, 'a registration');
  } finally {
    await s.screenshot(page, 'organizer-finds-a-registration-and-exports-csv');
  }
});
