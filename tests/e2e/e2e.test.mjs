// Two people (alice on a desktop-sized page, bob on a phone-sized one) use the bundled
// browser client against a real server. Run by run.sh, which sets ROOMKEEPER_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.ROOMKEEPER_URL;
const outDir = process.env.E2E_OUT_DIR || process.cwd();
const TIMEOUT = 15000;

let browser;
const problems = []; // page errors and dialogs (an alert() would mean injected markup ran)

before(async () => {
  assert.ok(base, 'ROOMKEEPER_URL is not set (run this through run.sh)');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => { await browser?.close(); });

async function person(name, viewport) {
  const context = await browser.newContext({ viewport }); // own storage: a separate person
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`${name}: dialog: ${d.message()}`); d.dismiss(); });
  await page.goto(`${base}/?name=${name}`);
  await page.locator('#status[data-state="online"]').waitFor();
  return page;
}

const userId = (page) => page.evaluate(() => S.me.user_id);

test('two people chat, read receipts, escaping, reconnect and kick', async () => {
  const alice = await person('alice', { width: 1100, height: 700 });
  const bob = await person('bob', { width: 390, height: 760 });
  assert.equal(await alice.locator('#me').textContent(), 'alice');

  // alice creates a room and is its admin
  await alice.fill('#create-name', 'Garden');
  await alice.click('#create-form button[type=submit]');
  await alice.locator('#room-name', { hasText: 'Garden' }).waitFor();
  await alice.locator('#people .person', { hasText: 'alice' }).locator('.badge.admin').waitFor();
  await alice.locator('#settings').waitFor(); // admin settings are offered

  // bob refreshes the room list and enters
  await bob.click('#refresh');
  await bob.locator('.room-item', { hasText: 'Garden' }).click();
  await bob.locator('#room-name', { hasText: 'Garden' }).waitFor();
  assert.equal(await bob.locator('#settings').isVisible(), false, 'bob is no admin');
  await alice.locator('#people .person', { hasText: 'bob' }).waitFor();
  await alice.locator('#messages .line', { hasText: 'bob entered' }).waitFor();

  // alice -> bob, and bob's page reports it read
  await alice.fill('#text', 'Hello bob, welcome to the garden');
  await alice.press('#text', 'Enter');
  await bob.locator('.msg .content', { hasText: 'Hello bob, welcome' }).waitFor();
  await bob.locator('.msg .author', { hasText: 'alice' }).waitFor();
  await alice.locator('.msg.mine .receipt', { hasText: 'Read by bob' }).waitFor();

  // bob -> alice, with markup that must show as text
  const payload = '<img src=x onerror=alert(1)>';
  await bob.fill('#text', payload);
  await bob.click('#composer button[type=submit]');
  const shown = alice.locator('.msg .content', { hasText: payload });
  await shown.waitFor();
  assert.equal(await shown.textContent(), payload);
  assert.equal(await alice.locator('#messages img').count(), 0, 'no <img> element was created');
  await bob.locator('.msg.mine .content', { hasText: payload }).waitFor();
  await alice.fill('#text', 'Nice try, bob');
  await alice.press('#text', 'Enter');
  await bob.locator('.msg .content', { hasText: 'Nice try, bob' }).waitFor();

  // bob's connection drops: he comes back as the same person, in the same room
  const bobId = await userId(bob);
  const oldKey = await bob.evaluate(() => { const key = S.key; S.ws.close(); return key; });
  await bob.locator('#status[data-state="reconnecting"]').waitFor();
  await bob.locator('#banner', { hasText: 'Reconnecting' }).waitFor();
  await bob.waitForFunction((old) => S.key && S.key !== old, oldKey);
  await bob.locator('#status[data-state="online"]').waitFor();
  assert.equal(await userId(bob), bobId, 'the token brought back the same user_id');
  await bob.locator('#room-name', { hasText: 'Garden' }).waitFor();
  await bob.locator('#text:not([disabled])').waitFor();
  await alice.locator('#people .person', { hasText: 'bob' }).waitFor();
  await bob.fill('#text', 'Back again');
  await bob.press('#text', 'Enter');
  await alice.locator('.msg .content', { hasText: 'Back again' }).waitFor();
  assert.equal(await bob.locator('.msg .content', { hasText: 'Hello bob, welcome' }).count(), 1,
    'history kept in the browser across the reconnect');

  await alice.screenshot({ path: path.join(outDir, 'e2e-alice.png') });
  await bob.screenshot({ path: path.join(outDir, 'e2e-bob-phone.png') });

  // alice (admin) kicks bob
  await alice.locator('#people .person', { hasText: 'bob' }).getByRole('button', { name: 'Kick' }).click();
  await bob.locator('.notice', { hasText: 'You were kicked from Garden' }).waitFor();
  await bob.locator('#room').waitFor({ state: 'hidden' });
  await alice.locator('#messages .line', { hasText: 'bob was kicked' }).waitFor();
  assert.equal(await alice.locator('#people .person', { hasText: 'bob' }).count(), 0);

  assert.deepEqual(problems, []);
});
