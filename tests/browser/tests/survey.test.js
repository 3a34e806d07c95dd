// The survey after the event, answered from the emailed link on a small phone (320 px)
// with the keyboard only, the GOV.UK way: radios, an error summary that links to the
// answer at fault; then the organizers' impact page (figures, a chart per event,
// testimonials; screenshot kept) and the public page once published. axe on each.
'use strict';

const assert = require('node:assert/strict');
const { before, after, test } = require('node:test');
const { Stack, tabTo, linkIn } = require('../lib/harness');

const SLUG = 'future-city-2027';
const PROGRAM = 'future-city';
const SMALL = [320, 640];
const PEOPLE = [
  { email: 'dana.whitfield@springfield.example', full_name: 'Dana Whitfield', title: 'City Manager', community: { name: 'Springfield', state: 'IL' } },
  { email: 'rafael.ortiz@riverton.example', full_name: 'Rafael Ortiz', title: 'Chief Administrative Officer', community: { name: 'Riverton', state: 'WY' } },
];

let s;
let admin;

before(async () => {
  s = await Stack.start('survey');
  admin = await s.login();
  await s.createEvent(admin, { slug: SLUG, program: PROGRAM });
  for (const p of PEOPLE) {
    const { link } = await s.invite(admin, SLUG, p);
    const token = new URL(link).pathname.split('/').pop();
    const res = await s.api('POST', `/invitations/${token}/registration`, {
      full_name: p.full_name, email: p.email, title: p.title, organization: `City of ${p.community.name}`,
      community: p.community,
    });
    assert.equal(res.status, 201, JSON.stringify(res.data));
  }
  // The event took place last month.
  const end = new Date(Date.now() - 30 * 86400000).toISOString().slice(0, 10);
  const start = new Date(Date.now() - 32 * 86400000).toISOString().slice(0, 10);
  const moved = await s.api('PATCH', `/events/${SLUG}`, { starts_on: start, ends_on: end }, admin);
  assert.equal(moved.status, 200, JSON.stringify(moved.data));
  for (const wave of ['post_event', 'follow_up']) {
    const sent = await s.api('POST', `/events/${SLUG}/survey/send`, { wave }, admin);
    assert.equal(sent.status, 202, JSON.stringify(sent.data));
    assert.equal(sent.data.recipients, 2);
  }
});

after(async () => {
  if (s) await s.stop();
});

/** No sideways scrolling at this width. */
async function fits(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
}

async function shown(page, id) {
  await page.locator(`#${id}`).waitFor({ state: 'visible' });
}

test('an attendee answers the survey from the emailed link with the keyboard only, on a 320 px screen', async () => {
  const page = await s.page(...SMALL);
  try {
    const mail = await s.mail.waitFor(PEOPLE[0].email, /How was/);
    await page.goto(linkIn(mail, '/survey/'));
    await shown(page, 'state-survey');
    await fits(page);
    await s.axe(page, 'the post-event survey');
    await tabTo(page, '#would-recommend');
    await page.keyboard.press('Space');
    await tabTo(page, '#learned');
    await page.keyboard.press('Space');
    await tabTo(page, '#testimonial');
    await page.keyboard.type('Three days that changed how our team works with residents.');
    await tabTo(page, '#may-quote');
    await page.keyboard.press('Space');
    await tabTo(page, '#survey-submit');
    await page.keyboard.press('Enter');
    await shown(page, 'state-thanks');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'state-thanks-title');
    await s.axe(page, 'the survey, answered');
    await s.screenshot(page, 'survey-thanks-320');
  } finally {
    await page.context().close();
  }
});

test('a wrong answer shows the error summary, which leads to the answer; fixed, it is saved', async () => {
  const page = await s.page(...SMALL);
  try {
    const mail = await s.mail.waitFor(PEOPLE[1].email, /A few months on/);
    await page.goto(linkIn(mail, '/survey/'));
    await shown(page, 'state-survey');
    await tabTo(page, '#still-applying');
    await page.keyboard.press('Space');
    await tabTo(page, '#residents-engaged');
    await page.keyboard.type('-5');
    await tabTo(page, '#survey-submit');
    await page.keyboard.press('Enter');
    await shown(page, 'error-summary');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'error-summary');
    assert.match(await page.title(), /^Error: /);
    await s.axe(page, 'the follow-up survey with an error');
    await s.screenshot(page, 'survey-error-320');
    // The summary's link takes focus to the field.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'residents-engaged');
    assert.equal(await page.locator('#residents-engaged').getAttribute('aria-invalid'), 'true');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('40');
    await tabTo(page, '#survey-submit');
    await page.keyboard.press('Enter');
    await shown(page, 'state-thanks');
    const res = await s.api('GET', new URL(page.url()).pathname.replace('/survey/', '/surveys/'));
    assert.equal(res.data.answers.residents_engaged, 40);
    assert.equal(res.data.answers.still_applying, true);
  } finally {
    await page.context().close();
  }
});

test('the impact page shows the figures, a chart per event and the quotes; published, the public page too', async () => {
  const page = await s.page();
  try {
    await s.signIn(page);
    await page.goto(`/admin/impact?program=${PROGRAM}`);
    await page.getByRole('heading', { name: `The impact of ${PROGRAM}` }).waitFor();
    const figures = await page.locator('.figure__value').allInnerTexts();
    assert.deepEqual(figures, ['2', '2', '40', '100%', '100%', '100%']);
    assert.ok(await page.getByText('Three days that changed how our team works').isVisible());
    await s.axe(page, 'the impact page');
    await s.screenshot(page, 'impact-page');

    const before = await page.goto(`/impact/${PROGRAM}`);
    assert.equal(before.status(), 404);
    // Published from the impact page, with the keyboard.
    await page.goto(`/admin/impact?program=${PROGRAM}`);
    await tabTo(page, '#publish');
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'public page' }).waitFor();
    assert.equal(await page.locator('#publish').count(), 0);
    const pub = await s.page(...SMALL);
    const after = await pub.goto(`/impact/${PROGRAM}`);
    assert.equal(after.status(), 200);
    await fits(pub);
    await s.axe(pub, 'the public impact page');
    await s.screenshot(pub, 'impact-public-320');
    await pub.context().close();
  } finally {
    await page.context().close();
  }
});

test('an organizer sets the survey up on the event\'s Survey page and sends a wave again, to nobody new', async () => {
  const page = await s.page();
  try {
    await s.signIn(page);
    await page.goto(`/admin/events/${SLUG}/survey`);
    await page.locator('#page').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#survey-days').inputValue(), '90');
    await s.axe(page, 'the survey page of the dashboard');
    await page.locator('#survey-hours').fill('-1');
    await page.locator('#survey-save').click();
    await page.locator('#error-summary').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#survey-hours').getAttribute('aria-invalid'), 'true');
    await page.locator('#survey-hours').fill('48');
    await page.locator('#survey-save').click();
    await page.getByText('The survey settings have been saved.').waitFor();
    await page.locator('#send-post_event').click();
    await page.getByText('Nobody was sent the survey').waitFor();
    const res = await s.api('GET', `/events/${SLUG}/survey`, undefined, admin);
    assert.equal(res.data.send_after_hours, 48);
  } finally {
    await page.context().close();
  }
});
