// The browser tests' harness: the real `convene` binary on a free port with a fresh SQLite
// database, a real SMTP server receiving its mail over TCP, headless Chromium driven by
// playwright-core, axe-core injected into the pages, and a screenshot of each test's last
// page under $CARGO_TARGET_DIR/browser-screenshots/.
//
// Environment (set by run.sh): CONVENE_BIN (the binary), CHROMIUM (the browser),
// CONVENE_SCREENSHOT_DIR, CONVENE_BROWSER_LOG_DIR (server logs kept for a failed run).
'use strict';

const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { SMTPServer } = require('smtp-server');
const { simpleParser } = require('mailparser');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const TARGET = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
const BIN = process.env.CONVENE_BIN || path.join(TARGET, 'debug', 'convene');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.CONVENE_SCREENSHOT_DIR || path.join(TARGET, 'browser-screenshots');
const PASSWORD = 'correct horse battery staple';
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/** WCAG 2.2 AA, as the issue asks. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A real SMTP server on loopback that keeps every message it accepts. Addresses with
    "bounce" in them are refused with a permanent error (550) while `refuseBounces`. */
class Mailbox {
  constructor() {
    this.messages = [];
    this.refuseBounces = true;
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      banner: 'convene browser tests',
      onRcptTo: (address, session, cb) => {
        if (this.refuseBounces && /bounce/i.test(address.address)) {
          const err = new Error('5.1.1 No such mailbox here');
          err.responseCode = 550;
          return cb(err);
        }
        return cb();
      },
      onData: (stream, session, cb) => {
        const chunks = [];
        stream.on('data', (c) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          simpleParser(raw).then((parsed) => {
            this.messages.push({
              to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              subject: parsed.subject || '',
              text: parsed.text || '',
              html: parsed.html || '',
              attachments: (parsed.attachments || []).map((a) => ({ filename: a.filename, contentType: a.contentType })),
              taken: false,
            });
            cb();
          }, (e) => cb(e));
        });
      },
    });
  }

  listen() {
    return new Promise((resolve, reject) => {
      this.server.on('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve(this.server.server.address().port));
    });
  }

  close() {
    return new Promise((resolve) => this.server.close(resolve));
  }

  /** The next message to `to` (not taken by an earlier wait) that matches `match`
      (a RegExp on the subject, or a function), waiting up to `ms`. */
  async waitFor(to, match, ms = 20000) {
    const addr = to.toLowerCase();
    const ok = (m) => !m.taken && m.to.includes(addr) &&
      (!match || (match instanceof RegExp ? match.test(m.subject) : match(m)));
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.messages.find(ok);
      if (found) {
        found.taken = true;
        return found;
      }
      if (Date.now() > deadline) {
        const seen = this.messages.map((m) => `${m.to.join(',')}: ${m.subject}`).join('\n  ');
        throw new Error(`no email to ${to} matching ${match} within ${ms} ms; received:\n  ${seen || '(none)'}`);
      }
      await sleep(100);
    }
  }

  to(address) {
    const addr = address.toLowerCase();
    return this.messages.filter((m) => m.to.includes(addr));
  }
}

/** The first link in an email's text that goes to `pathPrefix` on this server. */
function linkIn(message, pathPrefix) {
  const re = /https?:\/\/[^\s<>"')\]]+/g;
  const links = (message.text.match(re) || []).concat(message.html.match(re) || []);
  const found = links.find((l) => {
    try { return new URL(l).pathname.startsWith(pathPrefix); } catch (e) { return false; }
  });
  assert.ok(found, `no ${pathPrefix} link in the email "${message.subject}":\n${message.text}`);
  return found;
}

/** One running service: binary, database, SMTP server, browser. */
class Stack {
  static async start(name) {
    const s = new Stack(name);
    await s._start();
    return s;
  }

  constructor(name) {
    this.name = name;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `convene-browser-${name}-`));
    this.mail = new Mailbox();
    this.a11y = [];
  }

  async _start() {
    assert.ok(fs.existsSync(BIN), `the convene binary is not at ${BIN} (build it with cargo build, or set CONVENE_BIN)`);
    const smtpPort = await this.mail.listen();
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.env = {
      ...process.env,
      DATABASE_URL: `sqlite://${path.join(this.dir, 'convene.db')}`,
      CONVENE_BIND: `127.0.0.1:${this.port}`,
      CONVENE_BASE_URL: this.base,
      CONVENE_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      CONVENE_MAIL_DIR: path.join(this.dir, 'mail'),
      CONVENE_EMAIL_POLL_MS: '200',
      CONVENE_EMAIL_RETRY_CAP_SECS: '2',
      CONVENE_WORKERS: '2',
      RUST_LOG: process.env.RUST_LOG || 'info',
    };
    this.adminEmail = 'avery.admin@organizers.example';
    this.adminName = 'Avery Quinn';
    this.cli(['organizer', 'create', '--email', this.adminEmail, '--name', this.adminName, '--role', 'admin', '--password-stdin'], PASSWORD);

    this.logFile = path.join(this.dir, 'server.log');
    const log = fs.openSync(this.logFile, 'a');
    this.server = spawn(BIN, ['serve'], { env: this.env, stdio: ['ignore', log, log] });
    this.exited = new Promise((resolve) => this.server.on('exit', resolve));
    // If this process dies without stopping the stack, the server must not outlive it.
    const server = this.server;
    process.once('exit', () => { if (server.exitCode === null) server.kill('SIGKILL'); });
    const deadline = Date.now() + 30000;
    for (;;) {
      try {
        const res = await fetch(`${this.base}/healthz`);
        if (res.ok) break;
      } catch (e) { /* not listening yet */ }
      if (this.server.exitCode !== null || Date.now() > deadline) {
        throw new Error(`convene did not start:\n${fs.readFileSync(this.logFile, 'utf8').slice(-4000)}`);
      }
      await sleep(100);
    }

    const userDataDir = path.join(this.dir, 'chromium-profile');
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--no-first-run', '--disable-quic', '--disable-sync', `--crash-dumps-dir=${userDataDir}`,
      ],
    });
  }

  /** Runs the binary's command line (e.g. `organizer create`) against this database. */
  cli(args, input) {
    const res = spawnSync(BIN, args, { env: this.env, input: input === undefined ? '' : `${input}\n`, encoding: 'utf8' });
    assert.equal(res.status, 0, `convene ${args.join(' ')} failed:\n${res.stdout}\n${res.stderr}`);
    return res.stdout;
  }

  /** A new browser page (its own cookies) at this width. */
  async page(width = 1280, height = 900) {
    const context = await this.browser.newContext({ viewport: { width, height }, baseURL: this.base });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(String(e)));
    // Script errors; not the browser's note of each 4xx answer, which the tests provoke.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) page.errors.push(m.text());
    });
    return page;
  }

  /** Injects axe-core and asserts that it finds no WCAG 2.2 AA violation on the page
      as it is now. `label` names the page in the report. */
  async axe(page, label) {
    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async (tags) => {
      // eslint-disable-next-line no-undef
      const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
      }));
    }, AXE_TAGS);
    this.a11y.push({ label, url: page.url(), violations: violations.length });
    const report = violations.map((v) => `  ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join('\n    ')}`).join('\n');
    assert.equal(violations.length, 0, `axe found ${violations.length} violation(s) on ${label} (${page.url()}):\n${report}`);
    return violations;
  }

  /** Saves the page as it is now: `$CARGO_TARGET_DIR/browser-screenshots/NAME.png`. */
  async screenshot(page, name) {
    fs.mkdirSync(SHOTS, { recursive: true });
    const file = path.join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  }

  /* ---------- the API, for setting up what a test is not about ---------- */

  async api(method, apiPath, body, cookie) {
    const headers = { Accept: 'application/json' };
    if (cookie) headers.Cookie = cookie;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.base}/api/v1${apiPath}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
    return { status: res.status, data, headers: res.headers };
  }

  async login(email = this.adminEmail, password = PASSWORD) {
    const res = await this.api('POST', '/auth/login', { email, password });
    assert.equal(res.status, 200, `login failed: ${JSON.stringify(res.data)}`);
    return res.headers.get('set-cookie').split(';')[0];
  }

  async createEvent(cookie, fields) {
    const body = {
      slug: 'future-city-2027',
      name: 'The Future City: Public Sector Executive Summit',
      venue: 'Hall of the Commons, State University',
      city: 'Springfield',
      starts_on: '2027-04-20',
      ends_on: '2027-04-22',
      timezone: 'America/New_York',
      capacity: 30,
      scholarship_budget_cents: 500000,
      currency: 'USD',
      ...fields,
    };
    const res = await this.api('POST', '/events', body, cookie);
    assert.equal(res.status, 201, `event creation failed: ${JSON.stringify(res.data)}`);
    return res.data;
  }

  /** Invites someone through the API and returns the link from their email. */
  async invite(cookie, slug, person) {
    const res = await this.api('POST', `/events/${slug}/invitations`, person, cookie);
    assert.equal(res.status, 201, `invitation failed: ${JSON.stringify(res.data)}`);
    const email = await this.mail.waitFor(person.email, /invit/i);
    return { invitation: res.data, link: linkIn(email, '/invite/') };
  }

  /** Signs in through the sign-in page. */
  async signIn(page, email = this.adminEmail, password = PASSWORD) {
    await page.goto('/admin/sign-in');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/admin/sign-in'));
    await ready(page);
  }

  async stop() {
    if (this.browser) await this.browser.close().catch(() => {});
    if (this.server && this.server.exitCode === null) {
      this.server.kill('SIGTERM');
      const timer = setTimeout(() => this.server.kill('SIGKILL'), 10000);
      await this.exited;
      clearTimeout(timer);
    }
    await this.mail.close().catch(() => {});
    const keep = process.env.CONVENE_BROWSER_LOG_DIR;
    if (keep && this.logFile && fs.existsSync(this.logFile)) {
      fs.mkdirSync(keep, { recursive: true });
      fs.copyFileSync(this.logFile, path.join(keep, `${this.name}-server.log`));
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Waits until a dashboard page has loaded its data and shown itself (or a state). */
async function ready(page) {
  await page.waitForFunction(() => {
    const loading = document.getElementById('loading');
    const shown = Array.from(document.querySelectorAll('[data-state]')).some((el) => !el.hidden);
    return shown && (!loading || loading.hidden);
  });
}

/** Presses Tab until the focused element matches `selector` (at most `max` presses):
    how a keyboard user reaches a control, without clicking. */
async function tabTo(page, selector, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const hit = await page.evaluate((sel) => document.activeElement && document.activeElement.matches(sel), selector);
    if (hit) return i + 1;
  }
  const at = await page.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.outerHTML.slice(0, 80)));
  throw new Error(`pressed Tab ${max} times without reaching ${selector}; focus is on ${at}`);
}

module.exports = { Stack, Mailbox, ready, tabTo, linkIn, sleep, PASSWORD, SHOTS };
