// The sign-off page in a real browser: Debian's chromium, driven by playwright-core, checked with
// axe-core against WCAG 2.2 A and AA. A minister's adviser opens a sign-off link on a 390 px phone,
// reaches the approve button with the keyboard alone and answers; the link is dead afterwards.
// The same page is also checked at 1280 px. Screenshots go to $SCREENSHOTS (default
// target/browser-screenshots).
//
// Run: `npm ci && npm test` in tests/browser, after `cargo build -p pressroom`
// (PRESSROOM_BIN points at another build; CHROMIUM at another browser).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const targetDir = process.env.CARGO_TARGET_DIR
  ? path.resolve(root, process.env.CARGO_TARGET_DIR)
  : path.join(root, 'target');
const binary = process.env.PRESSROOM_BIN ?? path.join(targetDir, 'debug', 'pressroom');
const screenshots = process.env.SCREENSHOTS ?? path.join(targetDir, 'browser-screenshots');
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

let workdir;
let server;
let baseUrl;
let browser;
let drafter;

/** Starts `pressroom serve` on a free port and resolves with its base URL. */
function startServer(databaseUrl) {
  return new Promise((resolve, reject) => {
    server = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--database-url', databaseUrl], {
      env: { ...process.env, RUST_LOG: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (http:\/\/\S+)/);
      if (match) resolve(match[1]);
    });
    server.on('exit', (code) => reject(new Error(`pressroom serve exited with ${code}: ${out}`)));
  });
}

async function gql(token, query, variables = {}) {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  assert.equal(body.errors, undefined, JSON.stringify(body));
  return body.data;
}

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

async function assertAccessible(page, name) {
  const results = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  const summary = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`,
  );
  assert.deepEqual(summary, [], `${name}: axe found WCAG violations`);
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  workdir = mkdtempSync(path.join(tmpdir(), 'pressroom-browser-'));
  const databaseUrl = `sqlite://${path.join(workdir, 'pressroom.db')}?mode=rwc`;
  const loaded = execFileSync(binary, ['demo', '--load-only', '--database-url', databaseUrl], {
    encoding: 'utf8',
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  drafter = loaded.match(/demo-drafter\s+DRAFTER\s+(\S+)/)[1];
  baseUrl = await startServer(databaseUrl);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (workdir) rmSync(workdir, { recursive: true, force: true });
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
