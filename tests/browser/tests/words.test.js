// The organizers' words: the announcements page (count who it goes to, then send once;
// the list with its delivery) and the email wording page (a live preview as you type,
// a refusal naming the unknown placeholder, save and restore). axe at 1280 and 320 px.
'use strict';

const assert = require('node:assert/strict');
const { before, after, test } = require('node:test');
const { Stack, ready } = require('../lib/harness');

const SLUG = 'future-city-2027';
const PEOPLE = [
  { email: 'dana.whitfield@springfield.example', full_name: 'Dana Whitfield', title: 'City Manager', community: { name: 'Springfield', state: 'IL' } },
  { email: 'rafael.ortiz@riverton.example', full_name: 'Rafael Ortiz', title: 'Chief Administrative Officer', community: { name: 'Riverton', state: 'WY' } },
];

let s;
let admin;

before(async () => {
  s = await Stack.start('words');
  admin = await s.login();
  await s.createEvent(admin, { slug: SLUG });
  for (const p of PEOPLE) {
    const { link } = await s.invite(admin, SLUG, p);
    const token = new URL(link).pathname.split('/').pop();
    const res = await s.api('POST', `/invitations/${token}/registration`, {
      full_name: p.full_name, email: p.email, title: p.title, organization: `City of ${p.community.name}`,
      community: p.community,
    });
    assert.equal(res.status, 201, JSON.stringify(res.data));
  }
});

after(async () => {
  if (s) await s.stop();
});

async function fits(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
}

test('an organizer counts who an announcement goes to, sends it once, and sees it delivered', async () => {
  const page = await s.page(1280, 900);
  try {
    await s.signIn(page);
    await page.goto(`/admin/events/${SLUG}/announcements`);
    await ready(page);
    await page.locator('#announcements-empty').waitFor({ state: 'visible' });
    await s.axe(page, 'the announcements page');

    // Nothing ticked: the refusal names the audience.
    await page.getByLabel('Subject').fill('The programme is out');
    await page.getByLabel('Message').fill('The **full programme** is on the event page.');
    await page.getByRole('button', { name: 'Count who it goes to' }).click();
    await page.locator('#announcement-errors').waitFor({ state: 'visible' });
    assert.match(await page.locator('#announcement-errors').innerText(), /at least one/);

    await page.getByLabel('Confirmed').check();
    await page.getByRole('button', { name: 'Count who it goes to' }).click();
    await page.getByText('This announcement will go to 2 people.').waitFor();
    await s.axe(page, 'the announcements page with a count');
    await page.getByRole('button', { name: 'Send to 2 people' }).click();
    await page.getByText(/sent to 2 people/).waitFor();
    for (const p of PEOPLE) await s.mail.waitFor(p.email, /The programme is out/);
    const list = await s.api('GET', `/events/${SLUG}/announcements`, undefined, admin);
    assert.equal(list.data.items.length, 1);
    await page.reload();
    await ready(page);
    await page.locator('#announcements-table').getByText('The programme is out').waitFor();
    assert.deepEqual(page.errors, []);
  } finally {
    await s.screenshot(page, 'announcements-page');
  }
  const phone = await s.page(320, 740);
  try {
    await s.signIn(phone);
    await phone.goto(`/admin/events/${SLUG}/announcements`);
    await ready(phone);
    await phone.locator('#announcements-table').getByText('The programme is out').waitFor();
    await fits(phone);
    await s.axe(phone, 'the announcements page at 320 px');
  } finally {
    await s.screenshot(phone, 'announcements-page-320');
  }
});

test('an organizer words the confirmation with a live preview, is told of an unknown placeholder, saves and restores', async () => {
  const page = await s.page(1280, 900);
  try {
    await s.signIn(page);
    await page.goto(`/admin/events/${SLUG}/wording`);
    await ready(page);
    await page.getByLabel('Which email').selectOption('registration_confirmed');
    await page.getByText('The default wording.').waitFor();
    await s.axe(page, 'the email wording page');

    await page.getByLabel('Subject').fill('See you soon, {{ recipient_name }}');
    await page.waitForFunction(() => document.getElementById('preview-subject').textContent.startsWith('See you soon, '));
    await page.getByLabel('Message').fill('Your seat is yours. {{ recipent_name }} [Yours]({{ manage_link }})');
    await page.getByRole('button', { name: 'Save this wording' }).click();
    await page.locator('#wording-errors').waitFor({ state: 'visible' });
    assert.match(await page.locator('#wording-errors').innerText(), /recipent_name/);

    await page.getByLabel('Message').fill('Your seat is **yours**. [Yours]({{ manage_link }})');
    await page.getByRole('button', { name: 'Save this wording' }).click();
    await page.getByText('This event’s own wording.').waitFor();
    const list = await s.api('GET', `/events/${SLUG}/email-templates`, undefined, admin);
    const confirmed = list.data.items.find((k) => k.kind === 'registration_confirmed');
    assert.equal(confirmed.customized, true);
    assert.equal(confirmed.subject, 'See you soon, {{ recipient_name }}');
    await s.axe(page, 'the email wording page, customized');

    await page.getByRole('button', { name: 'Restore the default' }).click();
    await page.getByText('The default wording.').waitFor();
    assert.deepEqual(page.errors, []);
  } finally {
    await s.screenshot(page, 'wording-page');
  }
  const phone = await s.page(320, 740);
  try {
    await s.signIn(phone);
    await phone.goto(`/admin/events/${SLUG}/wording`);
    await ready(phone);
    await phone.getByText('The default wording.').waitFor();
    await fits(phone);
    await s.axe(phone, 'the email wording page at 320 px');
  } finally {
    await s.screenshot(phone, 'wording-page-320');
  }
});
