// The sign-off page in a real browser: Debian's chromium, driven by playwright-core, checked with
// axe-core against WCAG 2.2 A and AA. A minister's adviser opens a sign-off link on a 390 px phone,
// reaches the approve button with the keyboard alone and answers; the link is dead afterwards.
// The same page is also checked at 1280 px. Screenshots go to $SCREENSHOTS (default
// target/browser-screenshots). The server, the browser and the axe check are harness.mjs's.
//
// Run: `npm ci && npm test` in tests/browser, after `cargo build -p pressroom`
// (PRESSROOM_BIN points at another build; CHROMIUM at another browser).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertAccessible, launchChromium, startPressroom } from './harness.mjs';

let pressroom;
let baseUrl;
let browser;
let drafter;

const gql = (...args) => pressroom.gql(...args);

/** A fresh sign-off link for the demo release in review, for its first office still pending. */
async function newLink() {
  const data = await gql(
    drafter,
    '{ releases(filter: {states: [IN_REVIEW]}) { nodes { id version title approvals { office { id } status } } } }',
  );
  const release = data.releases.nodes[0];
  assert.ok(release, 'the demo has a release in review');
  const office = release.approvals.find((a) => a.status === 'PENDING').office.id;
  const created = await gql(
    drafter,
    `mutation($r: ID!, $v: Int!, $p: ID!) {
      createSignoffLink(releaseId: $r, expectedVersion: $v, personId: $p, signer: "Olle Rådgivare") { url }
    }`,
    { r: release.id, v: release.version, p: office },
  );
  return { url: `${baseUrl}${created.createSignoffLink.url}`, title: release.title };
}

before(async () => {
  pressroom = await startPressroom();
  baseUrl = pressroom.baseUrl;
  drafter = pressroom.tokens['demo-drafter'];
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await pressroom?.stop();
});

test('an adviser approves on a 390 px phone with the keyboard alone, and the link then dies', async () => {
  const { url, title } = await newLink();

  const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const wide = await desktop.newPage();
  await wide.goto(url);
  await assertAccessible(wide, 'signoff-1280');
  await desktop.close();

  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const page = await context.newPage();
  const response = await page.goto(url);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['cache-control'], 'no-store');
  assert.equal(response.headers()['referrer-policy'], 'no-referrer');
  await assertAccessible(page, 'signoff-390');
  assert.ok(await page.getByRole('heading', { level: 1, name: title }).isVisible());
  assert.ok((await page.locator('blockquote.quote.marked').count()) > 0, 'the quotes are marked');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, 'nothing is wider than the phone');
  assert.deepEqual(await context.cookies(), [], 'no cookies');

  // The keyboard alone: the banner's skip link, then Tab to the approve button and Enter.
  let reached = false;
  for (let i = 0; i < 80 && !reached; i += 1) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.id === 'approve');
  }
  assert.ok(reached, 'the approve button is reachable with Tab');
  // The form posts back to the same URL, so waiting for the URL would not wait at all: wait
  // for the POST's answer, then for the thank-you page's heading.
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === url),
    page.keyboard.press('Enter'),
  ]);
  await page.getByRole('heading', { level: 1, name: /godkännande är registrerat/ }).waitFor();
  assert.match(await page.locator('h1').innerText(), /godkännande är registrerat/);
  await assertAccessible(page, 'signoff-thanks-390');

  const dead = await page.goto(url);
  assert.equal(dead.status(), 410);
  assert.ok(!(await page.content()).includes(title), 'a dead link shows nothing of the release');
  await assertAccessible(page, 'signoff-dead-390');
  await context.close();
});
