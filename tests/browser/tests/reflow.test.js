// Reflow (WCAG 1.4.10): every dashboard page at 320 CSS px wide, with rows in its tables
// and long names and addresses, never scrolls sideways. A table wider than the screen
// scrolls inside its own labelled region that a keyboard can reach; the page itself does
// not. axe on every page at 320 px, and the same pages at 1280 px still fit.
'use strict';

const assert = require('node:assert/strict');
const { before, after, test } = require('node:test');
const { Stack, ready } = require('../lib/harness');

const SLUG = 'intergovernmental-infrastructure-modernization-summit-2027';
const PEOPLE = [
  { email: 'kim.park@westbrook.example', full_name: 'Kim Park', title: 'City Manager', community: { name: 'Westbrook', state: 'OR' } },
  {
    email: 'alexandrina.konstantinopoulou-vandermeer@metropolitanregionalauthority.example',
    full_name: 'Alexandrina Konstantinopoulou-Vandermeer',
    title: 'Deputy Chief Intergovernmental Infrastructure Modernization Officer',
    community: { name: 'Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch', state: 'WA' },
  },
  { email: 'rafael.ortiz@riverton.example', full_name: 'Rafael Ortiz', title: 'Chief Administrative Officer', community: { name: 'Riverton', state: 'WY' } },
];

// An event that has taken place, so that its survey page and the impact report have figures.
const PAST = 'metropolitan-public-sector-leadership-forum-2026';
const PROGRAM = 'metropolitan-public-sector-leadership-forum';

let s;
let registrationId;

before(async () => {
  s = await Stack.start('reflow');
  const admin = await s.login();
  await s.createEvent(admin, {
    slug: SLUG,
    name: 'The Intergovernmental Infrastructure Modernization Summit for Metropolitan Public Sector Executives',
    venue: 'Konstantinopoulou-Vandermeer Memorial Auditorium, Metropolitan Regional Authority',
  });
  for (const [i, p] of PEOPLE.entries()) {
    const { link } = await s.invite(admin, SLUG, p);
    if (i === 2) continue; // one invitation left unanswered
    const token = new URL(link).pathname.split('/').pop();
    const body = {
      full_name: p.full_name, email: p.email, title: p.title, organization: `City of ${p.community.name}`,
      community: p.community, dietary_requirements: i === 0 ? 'No shellfish' : 'Vegetarian-pescatarian-glutenfree',
    };
    if (i === 0) {
      body.young_leader_nomination = { full_name: 'Ari Cole', email: 'ari.cole@westbrook.example', title: 'Analyst', organization: 'City of Westbrook', reason: 'Leads our open data work.' };
      body.travel_scholarship = { travelers: 2, estimated_cost_cents: 150000, requested_amount_cents: 90000, justification: 'A long way to travel.' };
    }
    const res = await s.api('POST', `/invitations/${token}/registration`, body);
    assert.equal(res.status, 201, JSON.stringify(res.data));
  }
  const request = await s.api('POST', `/events/${SLUG}/invitation-requests`, {
    full_name: 'Jo Rivera', email: 'jo.rivera@millbrook.example', title: 'Town Administrator', organization: 'Town of Millbrook',
    community: { name: 'Millbrook', state: 'NY' }, reason: 'We are rebuilding our permitting and want to learn from peers.',
  });
  assert.equal(request.status, 202, JSON.stringify(request.data));
  const regs = await s.api('GET', `/events/${SLUG}/registrations`, undefined, admin);
  registrationId = regs.data.items.find((r) => r.full_name === 'Kim Park').id;
  const ann = await s.api('POST', `/events/${SLUG}/announcements`, {
    subject: 'The programme is out', body: 'See https://convene.example/events/intergovernmental-infrastructure-modernization-summit-2027/programme',
    audience: { registration_statuses: ['confirmed'] },
  }, admin);
  assert.ok([201, 202].includes(ann.status), JSON.stringify(ann.data));
  const session = await s.api('POST', `/events/${SLUG}/sessions`, {
    title: 'Intergovernmental infrastructure modernization: procurement, permitting and shared services',
    starts_at: '2027-04-20T13:00:00Z', ends_at: '2027-04-20T14:30:00Z',
    location: 'Konstantinopoulou-Vandermeer Memorial Auditorium, west wing',
  }, admin);
  assert.equal(session.status, 201, JSON.stringify(session.data));
  await s.createEvent(admin, {
    slug: PAST, program: PROGRAM, name: 'The Metropolitan Public Sector Leadership Forum for Intergovernmental Cooperation',
  });
  const past = { ...PEOPLE[1], email: 'alexandrina.vandermeer@metropolitanregionalauthority.example' };
  const { link } = await s.invite(admin, PAST, past);
  const reg = await s.api('POST', `/invitations/${new URL(link).pathname.split('/').pop()}/registration`, {
    full_name: past.full_name, email: past.email, title: past.title, organization: 'Metropolitan Regional Authority', community: past.community,
  });
  assert.equal(reg.status, 201, JSON.stringify(reg.data));
  const end = new Date(Date.now() - 30 * 86400000).toISOString().slice(0, 10);
  const start = new Date(Date.now() - 32 * 86400000).toISOString().slice(0, 10);
  const moved = await s.api('PATCH', `/events/${PAST}`, { starts_on: start, ends_on: end }, admin);
  assert.equal(moved.status, 200, JSON.stringify(moved.data));
  const sent = await s.api('POST', `/events/${PAST}/survey/send`, { wave: 'post_event' }, admin);
  assert.equal(sent.status, 202, JSON.stringify(sent.data));
  const apiToken = await s.api('POST', '/auth/tokens', { name: 'CRM synchronisation for the metropolitan regional authority', role: 'reviewer' }, admin);
  assert.equal(apiToken.status, 201, JSON.stringify(apiToken.data));
  const hook = await s.api('POST', '/webhooks', {
    url: 'https://hooks.metropolitanregionalauthority.example/convene/webhooks/registrations-and-check-ins', events: ['registration.created'],
  }, admin);
  assert.equal(hook.status, 201, JSON.stringify(hook.data));
});

after(async () => {
  if (s) await s.stop();
});

/** Every page of the dashboard: [path, name, signed in]. */
function pages() {
  return [
    ['/admin/sign-in', 'sign-in', false],
    ['/admin/forgot-password', 'forgot-password', false],
    ['/admin/reset-password/not-a-real-token', 'reset-password', false],
    ['/admin', 'events', true],
    ['/admin/events/new', 'new-event', true],
    [`/admin/events/${SLUG}`, 'overview', true],
    [`/admin/events/${SLUG}/agenda`, 'agenda', true],
    [`/admin/events/${SLUG}/edit`, 'event-form', true],
    [`/admin/events/${SLUG}/invitations`, 'invitations', true],
    [`/admin/events/${SLUG}/requests`, 'requests', true],
    [`/admin/events/${SLUG}/nominations`, 'nominations', true],
    [`/admin/events/${SLUG}/scholarships`, 'scholarships', true],
    [`/admin/events/${SLUG}/registrations`, 'registrations', true],
    [`/admin/events/${SLUG}/registrations/${registrationId}`, 'registration', true],
    [`/admin/events/${SLUG}/emails`, 'emails', true],
    [`/admin/events/${SLUG}/announcements`, 'announcements', true],
    [`/admin/events/${SLUG}/wording`, 'wording', true],
    [`/admin/events/${SLUG}/check-in`, 'check-in', true],
    [`/admin/events/${SLUG}/catering`, 'catering', true],
    [`/admin/events/${SLUG}/survey`, 'survey', true],
    [`/admin/events/${PAST}/survey`, 'survey-past', true],
    ['/admin/impact', 'impact', true],
    [`/admin/impact?program=${PROGRAM}`, 'impact-program', true],
    ['/admin/password', 'password', true],
    ['/admin/settings', 'settings', true],
    ['/admin/organizers', 'organizers', true],
    ['/admin/audit', 'audit', true],
    ['/admin/integrations', 'integrations', true],
    ['/admin/people', 'people', true],
    ['/admin/nothing-here', 'not-found', true],
  ];
}

/** How far the page scrolls sideways, and what sticks out past the right edge (outside any
    region that scrolls by itself), to name the culprit in a failure. */
async function sideways(page) {
  return page.evaluate(() => {
    const overflow = document.documentElement.scrollWidth - window.innerWidth;
    const culprits = [];
    if (overflow > 0) {
      const scrolls = (el) => {
        for (let p = el.parentElement; p; p = p.parentElement) {
          const o = getComputedStyle(p).overflowX;
          if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
        }
        return false;
      };
      for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        const positioned = ['absolute', 'fixed'].includes(getComputedStyle(el).position);
        if (r.width && r.right > window.innerWidth + 0.5 && (positioned || !scrolls(el))) {
          const name = el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') +
            (typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '');
          culprits.push(`${name} (right edge at ${Math.round(r.right)})`);
        }
      }
    }
    return { overflow, culprits: culprits.slice(0, 12) };
  });
}

/** Every region that scrolls sideways by itself is named and reachable by keyboard. */
async function scrollRegionsReachable(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.body.querySelectorAll('*')) {
      const o = getComputedStyle(el).overflowX;
      if ((o === 'auto' || o === 'scroll') && el.scrollWidth > el.clientWidth + 1 && el.getClientRects().length) {
        const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
        if (!(el.tabIndex >= 0 && named && el.getAttribute('role') === 'region')) {
          bad.push(el.outerHTML.slice(0, 120));
        }
      }
    }
    return bad;
  });
}

async function visitAll(width) {
  const failures = [];
  const page = await s.page(width, 740);
  let current = 'start';
  try {
    let signedIn = false;
    for (const [path, name, needsSession] of pages()) {
      current = name;
      if (needsSession && !signedIn) {
        await s.signIn(page);
        signedIn = true;
      }
      await page.goto(path);
      // The impact report is rendered on the server, without the dashboard's script.
      if (name.startsWith('impact')) await page.getByRole('heading', { level: 1 }).waitFor();
      else await ready(page);
      if (name === 'overview') await page.locator('#chart svg').waitFor();
      if (['events', 'agenda', 'invitations', 'registrations', 'announcements', 'organizers', 'integrations'].includes(name)) {
        await page.locator('table tbody tr').first().waitFor();
      }
      const { overflow, culprits } = await sideways(page);
      if (overflow > 0) {
        failures.push(`${name} (${path}) at ${width}px scrolls sideways by ${overflow}px:\n    ${culprits.join('\n    ')}`);
        await s.screenshot(page, `reflow-${name}-${width}`);
      }
      const unreachable = await scrollRegionsReachable(page);
      if (unreachable.length) {
        failures.push(`${name} at ${width}px has a sideways-scrolling area that is not a labelled, focusable region:\n    ${unreachable.join('\n    ')}`);
      }
      if (width === 320) {
        await s.axe(page, `${name} at ${width}px`);
        await s.screenshot(page, `reflow-${name}-${width}`);
      }
      assert.deepEqual(page.errors, [], `no script errors on ${path}`);
    }
  } catch (e) {
    await s.screenshot(page, `reflow-failed-${current}-${width}`).catch(() => {});
    throw e;
  } finally {
    await page.context().close();
  }
  assert.deepEqual(failures, [], failures.join('\n'));
}

test('every dashboard page at 320 px wide has no sideways scrolling, and axe finds nothing', async () => {
  await visitAll(320);
});

test('every dashboard page at 1280 px wide still fits', async () => {
  await visitAll(1280);
});
