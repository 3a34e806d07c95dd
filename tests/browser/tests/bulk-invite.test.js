// Inviting many from a spreadsheet, in a real browser: a semicolon-separated upload with
// one bad row sends the others and leaves only that row in the box, with its problem in
// the report; corrected and sent again, it goes and the report is gone; a later upload
// shows its own counts only, never an earlier success. axe at 1280 and 320 px.
'use strict';

const assert = require('node:assert/strict');
const { before, after, test } = require('node:test');
const { Stack, ready } = require('../lib/harness');

let s;
let admin;

before(async () => {
  s = await Stack.start('bulk-invite');
  admin = await s.login();
});

after(async () => {
  if (s) await s.stop();
});

async function go(page, path) {
  await page.goto(path);
  await ready(page);
}

const HEADER = 'email;full_name;title;community_name;community_state';

async function send(page, text) {
  await page.locator('#invite-csv').fill(text);
  await page.getByRole('button', { name: 'Send the invitations' }).click();
}

for (const width of [1280, 320]) {
  test(`at ${width} px, only the refused row is left in the box, with its problem, to be corrected and sent again`, async () => {
    const slug = `bulk-${width}-2027`;
    await s.createEvent(admin, { slug });
    const page = await s.page(width, 900);
    try {
      await s.signIn(page);
      await go(page, `/admin/events/${slug}/invitations`);
      await page.getByRole('button', { name: 'Invite many from a spreadsheet' }).click();

      // Saved where the decimal mark is a comma: semicolons, and a quoted name holding one.
      const bad = 'omar.haddad.riverton.example;Omar Haddad;City Manager;Riverton;WY';
      await send(page, [
        HEADER,
        'ines.ortega@lakeview.example;Ines Ortega;City Manager;Lakeview;OR',
        bad,
        'kai.brandt@millbrook.example;"Brandt; Kai";Chief Administrative Officer;Millbrook;NY',
      ].join('\n'));
      const report = page.locator('#bulk-report');
      await report.waitFor({ state: 'visible' });
      assert.match(await page.locator('#bulk-report-summary').innerText(), /2 invitations sent; 1 row refused/);
      assert.equal(await page.locator('#invite-csv').inputValue(), `${HEADER}\n${bad}`);
      const rows = await page.locator('#bulk-table tbody tr').allInnerTexts();
      assert.equal(rows.length, 1);
      assert.match(rows[0], /^1[\s\S]*Omar Haddad[\s\S]*omar\.haddad\.riverton\.example[\s\S]*email/);
      await page.locator('#results-count', { hasText: '2 invitations in all' }).waitFor();
      assert.match(await page.locator('#invitations-table').innerText(), /Brandt; Kai/);
      await s.axe(page, `the invitations page with a refused row at ${width}px`);
      await s.screenshot(page, `bulk-invite-refused-row-at-${width}`);

      // Corrected and sent again: it goes, the form closes, no count of the first upload stays.
      await send(page, `${HEADER}\nomar.haddad@riverton.example;Omar Haddad;City Manager;Riverton;WY`);
      await page.locator('#flash', { hasText: '1 invitation sent.' }).waitFor();
      await page.locator('#results-count', { hasText: '3 invitations in all' }).waitFor();
      assert.ok(await report.isHidden(), 'the report of the first upload is gone');
      assert.ok(await page.locator('#invite-many').isHidden());

      // Another upload in which nothing goes: its own counts, and the earlier success is gone.
      await page.getByRole('button', { name: 'Invite many from a spreadsheet' }).click();
      assert.equal(await page.locator('#invite-csv').inputValue(), '', 'the box was emptied');
      await send(page, `${HEADER}\nines.ortega@lakeview.example;Ines Ortega;City Manager;Lakeview;OR`);
      await report.waitFor({ state: 'visible' });
      assert.match(await page.locator('#bulk-report-summary').innerText(), /0 invitations sent; 1 row refused/);
      assert.match(await page.locator('#bulk-table tbody').innerText(), /Ines Ortega[\s\S]*already/);
      assert.ok(await page.locator('#flash').isHidden(), 'no success message from before');
      await s.axe(page, `the invitations page after a refused upload at ${width}px`);
      assert.deepEqual(page.errors, []);
    } finally {
      await s.screenshot(page, `bulk-invite-at-${width}`);
    }
  });
}
