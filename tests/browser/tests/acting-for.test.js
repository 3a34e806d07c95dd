// The organizers' hands, in a real browser: registering someone who phoned, correcting
// their details, cancelling with a note, confirming from the waiting list (refused while
// no seat is free), re-sending a lost link that then opens the registration, reinstating
// a cancelled person by inviting them again, and the event form naming every mistake in
// one round; axe on each of these pages at 1280 and 320 px.
'use strict';

const assert = require('node:assert/strict');
const { before, after, test } = require('node:test');
const { Stack, ready, linkIn } = require('../lib/harness');

const NAME = 'The Future City: Public Sector Executive Summit';

let s;
let admin;

before(async () => {
  s = await Stack.start('acting-for');
  admin = await s.login();
});

after(async () => {
  if (s) await s.stop();
});

async function go(page, path) {
  await page.goto(path);
  await ready(page);
}

/** A person registered by an organizer through the API (what a test is not about). */
async function registerFor(slug, person) {
  const res = await s.api('POST', `/events/${slug}/registrations`, {
    organization: `City of ${person.community.name}`,
    ...person,
  }, admin);
  assert.equal(res.status, 201, JSON.stringify(res.data));
  return res.data;
}

/** The texts of the links in an error summary, one per field named. */
async function summaryItems(page, id) {
  await page.locator(`#${id}`).waitFor({ state: 'visible' });
  return page.locator(`#${id} .error-summary__list li`).allInnerTexts();
}

test('an organizer registers a person who phoned, after every mistake in the form is named at once', async () => {
  const slug = 'phoned-2027';
  await s.createEvent(admin, { slug, capacity: 5 });
  const lena = 'lena.moreau@fairview.example';
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, `/admin/events/${slug}/registrations`);
    await page.getByRole('button', { name: 'Register someone who phoned or wrote' }).click();
    const form = page.locator('#register-form');
    await s.axe(page, 'the registrations list with the registration form open');

    // Two mistakes: an address that is not one, and no job title.
    await form.getByLabel('Email address').fill('lena.moreau at fairview');
    await form.getByLabel('Full name').fill('Lena Moreau');
    await form.getByLabel('Organization').fill('City of Fairview');
    await form.getByLabel('City, town or county name').fill('Fairview');
    await form.getByLabel('State or region').fill('OR');
    await form.getByLabel('Dietary requirements (optional)').fill('Vegan');
    await form.getByRole('button', { name: 'Register them' }).click();
    const items = await summaryItems(page, 'register-errors');
    assert.equal(items.length, 2, `both mistakes in one round: ${items.join(' | ')}`);
    assert.match(items[0], /^Email address/);
    assert.match(items[1], /^Job title/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'register-errors', 'focus moves to the summary');
    assert.equal(await form.getByLabel('Email address').getAttribute('aria-invalid'), 'true');
    assert.equal(await form.getByLabel('Full name').inputValue(), 'Lena Moreau', 'what was typed is kept');
    await s.axe(page, 'the registration form with errors');

    await form.getByLabel('Email address').fill(lena);
    await form.getByLabel('Job title').fill('City Manager');
    await form.getByRole('button', { name: 'Register them' }).click();
    // Their own page, with the outcome of this act at the top.
    await page.waitForURL(new RegExp(`/admin/events/${slug}/registrations/[^/]+$`));
    await ready(page);
    await page.locator('#flash', { hasText: 'Lena Moreau is registered and confirmed' }).waitFor();
    assert.equal(await page.locator('#page-title').innerText(), 'Lena Moreau');
    assert.equal(await page.locator('#registration-status').innerText(), 'Confirmed');
    assert.match(await page.locator('#needs').innerText(), /Vegan/);
    const confirmation = await s.mail.waitFor(lena, /registered/i);
    linkIn(confirmation, '/manage/');

    // The list counts her, with nothing stale from before.
    await go(page, `/admin/events/${slug}/registrations`);
    assert.match(await page.locator('#registration-counts').innerText(), /1 confirmed/);
    assert.match(await page.locator('#registrations-table').innerText(), /Lena Moreau/);

    // The same address again: refused, and the form says why.
    await page.getByRole('button', { name: 'Register someone who phoned or wrote' }).click();
    await form.getByLabel('Email address').fill(lena);
    await form.getByLabel('Full name').fill('Lena Moreau');
    await form.getByLabel('Job title').fill('City Manager');
    await form.getByLabel('Organization').fill('City of Fairview');
    await form.getByLabel('City, town or county name').fill('Fairview');
    await form.getByLabel('State or region').fill('OR');
    await form.getByRole('button', { name: 'Register them' }).click();
    await page.locator('#register-errors', { hasText: 'Email address: Already holds a registration' }).waitFor();
    assert.equal(await form.getByLabel('Email address').getAttribute('aria-invalid'), 'true');
    assert.deepEqual(page.errors, []);
  } finally {
    await s.screenshot(page, 'organizer-registers-a-person-who-phoned');
  }
});

test('an organizer corrects details, cancels with a note, and reinstates the person by inviting them again', async () => {
  const slug = 'reinstate-2027';
  await s.createEvent(admin, { slug, capacity: 5 });
  const omar = {
    email: 'omar.haddad@lakeview.example', full_name: 'Omar Haddad', title: 'City Manager',
    community: { name: 'Lakeview', state: 'MI' },
  };
  const reg = await registerFor(slug, omar);
  await s.mail.waitFor(omar.email, /registered/i);
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, `/admin/events/${slug}/registrations/${reg.id}`);

    // Corrections: two mistakes named together, then saved.
    await page.getByRole('button', { name: 'Correct their details' }).click();
    const details = page.locator('#details-form');
    assert.equal(await details.getByLabel('Job title').inputValue(), 'City Manager', 'the form shows what they have');
    await details.getByLabel('Job title').fill('Deputy City Manager');
    await details.getByLabel('Organization').fill('');
    await details.getByLabel('Phone number (optional)').fill('call me');
    await details.getByRole('button', { name: 'Save the corrections' }).click();
    const items = await summaryItems(page, 'details-errors');
    assert.equal(items.length, 2, `both mistakes in one round: ${items.join(' | ')}`);
    assert.match(items[0], /^Organization/);
    assert.match(items[1], /^Phone number/);
    await s.axe(page, 'the registration page with the corrections form and errors');
    await details.getByLabel('Organization').fill('City of Lakeview');
    await details.getByLabel('Phone number (optional)').fill('+1 269 555 0142');
    await details.getByRole('button', { name: 'Save the corrections' }).click();
    await page.locator('#flash', { hasText: 'The details of Omar Haddad are corrected' }).waitFor();
    await ready(page);
    assert.match(await page.locator('#about').innerText(), /Deputy City Manager[\s\S]*\+1 269 555 0142/);
    assert.equal(await page.locator('#details-panel').isHidden(), true, 'the page is loaded again, form closed');

    // Cancel, with a note for the other organizers, after a confirmation.
    await page.getByRole('button', { name: 'Cancel the registration' }).click();
    const cancel = page.locator('#cancel-form');
    await cancel.getByLabel('Why they cancelled (optional)').fill('Phoned: a council meeting moved to that week.');
    await s.axe(page, 'the registration page with the cancellation form');
    await cancel.getByRole('button', { name: 'Cancel the registration' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    assert.equal(await page.locator('#registration-status').innerText(), 'Confirmed', 'nothing happens without the confirmation');
    await cancel.getByRole('button', { name: 'Cancel the registration' }).click();
    await dialog.getByRole('button', { name: 'Yes, cancel it' }).click();
    await page.locator('#flash', { hasText: 'The registration of Omar Haddad is cancelled' }).waitFor();
    await ready(page);
    assert.equal(await page.locator('#registration-status').innerText(), 'Cancelled');
    await s.mail.waitFor(omar.email, /is cancelled/i);
    const audit = await s.api('GET', '/audit-log?action=registration.cancelled', undefined, admin);
    assert.match(JSON.stringify(audit.data), /a council meeting moved to that week/, 'the note is in the audit log');

    // He phones back: invited again from his page, and registers with the new link.
    assert.equal(await page.getByRole('button', { name: 'Correct their details' }).isHidden(), true);
    await page.getByRole('button', { name: 'Invite them again' }).click();
    await dialog.getByRole('button', { name: 'Send the invitation' }).click();
    await page.locator('#flash', { hasText: 'Omar Haddad has been invited again' }).waitFor();
    await s.axe(page, 'a cancelled registration after the new invitation');
    const invitation = await s.mail.waitFor(omar.email, /^Your invitation/);
    await page.goto(linkIn(invitation, '/invite/'));
    await page.locator('#registration-form').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#full-name').inputValue(), 'Omar Haddad');
    await page.getByLabel('Organization', { exact: true }).fill('City of Lakeview');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('heading', { name: 'Registration complete' }).waitFor();
    await s.mail.waitFor(omar.email, /registered/i);

    await go(page, `/admin/events/${slug}/registrations?q=omar`);
    const rows = await page.locator('#registrations-table tbody tr').allInnerTexts();
    assert.equal(rows.length, 2);
    assert.ok(rows.some((r) => /Confirmed/.test(r)) && rows.some((r) => /Cancelled/.test(r)), rows.join('\n'));
    assert.deepEqual(page.errors, []);
  } finally {
    await s.screenshot(page, 'organizer-reinstates-a-cancelled-person');
  }
});

test('a lost link is sent again, arrives, and opens the registration', async () => {
  const slug = 'lost-link-2027';
  await s.createEvent(admin, { slug });
  const pia = {
    email: 'pia.lund@brookside.example', full_name: 'Pia Lund', title: 'Town Administrator',
    community: { name: 'Brookside', state: 'VT' },
  };
  const reg = await registerFor(slug, pia);
  await s.mail.waitFor(pia.email, /registered/i);
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, `/admin/events/${slug}/registrations/${reg.id}`);
    await page.getByRole('button', { name: 'Email them a new link to their registration' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await s.axe(page, 'the new-link confirmation');
    await dialog.getByRole('button', { name: 'Send the link' }).click();
    await page.locator('#flash', { hasText: `on its way to ${pia.email}` }).waitFor();
    const email = await s.mail.waitFor(pia.email, /^Your link to your registration/);
    const link = linkIn(email, '/manage/');

    const hers = await s.page();
    try {
      await hers.goto(link);
      await hers.locator('#state-registration').waitFor({ state: 'visible' });
      assert.match(await hers.locator('#state-registration').innerText(), /Pia Lund/);
    } finally {
      await hers.close();
    }
  } finally {
    await s.screenshot(page, 'organizer-resends-a-lost-link');
  }
});

test('confirming from the waiting list while no seat is free is refused, saying why', async () => {
  const slug = 'full-house-2027';
  await s.createEvent(admin, { slug, capacity: 1 });
  await registerFor(slug, {
    email: 'ines.ruiz@elmwood.example', full_name: 'Ines Ruiz', title: 'City Manager', community: { name: 'Elmwood', state: 'IL' },
  });
  const waiting = await registerFor(slug, {
    email: 'tom.berg@oakdale.example', full_name: 'Tom Berg', title: 'City Manager', community: { name: 'Oakdale', state: 'MN' },
  });
  assert.equal(waiting.status, 'waitlisted');
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, `/admin/events/${slug}/registrations/${waiting.id}`);
    await page.getByRole('button', { name: 'Confirm from the waiting list' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm the registration' }).click();
    await page.locator('#actions-errors', { hasText: 'No seat is free' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'actions-errors');
    assert.equal(await page.locator('#registration-status').innerText(), 'On the waiting list');
    await s.axe(page, 'a refused confirmation');
  } finally {
    await s.screenshot(page, 'confirm-refused-no-seat');
  }
});

test('the event form names every mistake in one round', async () => {
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, '/admin/events/new');
    // No name, no last day, a capacity in words: once, all three.
    await page.getByLabel('Short name for addresses').fill('one-round-2027');
    await page.getByLabel('Venue', { exact: true }).fill('Civic Hall');
    await page.getByLabel('City', { exact: true }).fill('Fairview');
    await page.getByLabel('First day').fill('2027-06-08');
    await page.getByLabel('Capacity', { exact: true }).fill('forty');
    await page.getByLabel('Travel scholarship budget').fill('0');
    await page.getByRole('button', { name: 'Create the event' }).click();
    const items = await summaryItems(page, 'error-summary');
    assert.equal(items.length, 3, items.join(' | '));
    assert.match(items[0], /^Name/);
    assert.match(items[1], /^Last day/);
    assert.match(items[2], /^Capacity/);
    await s.axe(page, 'the event form with every error');

    // A last day before the first is named with the name still missing.
    await page.getByLabel('Last day').fill('2027-06-01');
    await page.getByLabel('Capacity', { exact: true }).fill('40');
    await page.getByRole('button', { name: 'Create the event' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#error-summary li').length === 2);
    const again = await summaryItems(page, 'error-summary');
    assert.match(again[0], /^Name/);
    assert.match(again[1], /^Last day: Must not be before the first day/);

    await page.getByLabel('Name', { exact: true }).fill(NAME);
    await page.getByLabel('Last day').fill('2027-06-10');
    await page.getByRole('button', { name: 'Create the event' }).click();
    await page.waitForURL(/\/admin\/events\/one-round-2027$/);
    await ready(page);
    await page.locator('#flash', { hasText: 'created' }).waitFor();
  } finally {
    await s.screenshot(page, 'event-form-every-error-at-once');
  }
});

test('the pages of acting for a person pass axe at 320 px, with their forms open', async () => {
  const slug = 'narrow-2027';
  await s.createEvent(admin, { slug, capacity: 1 });
  await registerFor(slug, {
    email: 'ada.fox@hillcrest.example', full_name: 'Ada Fox', title: 'City Manager', community: { name: 'Hillcrest', state: 'CA' },
  });
  const waiting = await registerFor(slug, {
    email: 'ben.ode@riverside.example', full_name: 'Ben Ode', title: 'City Manager', community: { name: 'Riverside', state: 'CA' },
  });
  const page = await s.page(320, 800);
  try {
    await s.signIn(page);
    await go(page, `/admin/events/${slug}/registrations`);
    await page.getByRole('button', { name: 'Register someone who phoned or wrote' }).click();
    await page.locator('#register-form').getByRole('button', { name: 'Register them' }).click();
    await summaryItems(page, 'register-errors');
    await s.axe(page, 'the registration form with errors at 320px');

    await go(page, `/admin/events/${slug}/registrations/${waiting.id}`);
    await page.getByRole('button', { name: 'Confirm from the waiting list' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm the registration' }).click();
    await page.locator('#actions-errors', { hasText: 'No seat is free' }).waitFor();
    await page.getByRole('button', { name: 'Correct their details' }).click();
    await page.locator('#details-form').getByLabel('Full name').fill('');
    await page.locator('#details-form').getByRole('button', { name: 'Save the corrections' }).click();
    await summaryItems(page, 'details-errors');
    await page.getByRole('button', { name: 'Cancel the registration' }).first().click();
    await page.locator('#cancel-form').waitFor({ state: 'visible' });
    await s.axe(page, 'the registration page with both forms open at 320px');

    await go(page, '/admin/events/new');
    await page.getByRole('button', { name: 'Create the event' }).click();
    await summaryItems(page, 'error-summary');
    await s.axe(page, 'the event form with errors at 320px');
    assert.deepEqual(page.errors, []);
  } finally {
    await s.screenshot(page, 'acting-for-at-320');
  }
});

test('the audit log says who did what to whom, with money in the event’s currency and times in its zone', async () => {
  const slug = 'audit-2027';
  await s.createEvent(admin, { slug, currency: 'EUR', timezone: 'America/Chicago', scholarship_budget_cents: 500000 });
  const karl = await registerFor(slug, {
    email: 'karl.weber@maple.example', full_name: 'Karl Weber', title: 'City Manager', community: { name: 'Maple', state: 'WI' },
  });
  const changed = await s.api('PATCH', `/events/${slug}`, {
    scholarship_budget_cents: 600000, registration_closes_at: '2027-04-01T15:00:00Z',
  }, admin);
  assert.equal(changed.status, 200, JSON.stringify(changed.data));
  const page = await s.page();
  try {
    await s.signIn(page);
    await go(page, `/admin/audit?event=${slug}`);
    const created = page.locator('#audit-table tbody tr', { hasText: 'Registration created' });
    assert.match(await created.innerText(), /Avery Quinn[\s\S]*Karl Weber/);
    assert.equal(await created.getByRole('link', { name: 'Karl Weber' }).getAttribute('href'),
      `/admin/events/${slug}/registrations/${karl.id}`);
    const update = await page.locator('#audit-table tbody tr', { hasText: 'Event updated' }).innerText();
    assert.match(update, /Scholarship budget: €5,000\.00 → €6,000\.00/);
    assert.match(update, /Registration closes: [^\n]*→ April 1, 2027 at 10:00\sAM CDT/);
    assert.doesNotMatch(update, /_cents|[0-9a-f]{8}-[0-9a-f]{4}-/, 'no field names or ids');
    await s.axe(page, 'the audit log');
    assert.deepEqual(page.errors, []);
  } finally {
    await s.screenshot(page, 'audit-log-readable');
  }
});
