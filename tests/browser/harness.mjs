// What the browser suites share: the real `pressroom` binary on a fresh SQLite file and a free
// port (loaded with `pressroom demo --load-only`), its CLI and GraphQL API, Debian's chromium,
// and the axe-core check every page passes (WCAG 2.2 A and AA), with a screenshot of the page.
//
// PRESSROOM_BIN points at another build (default target/debug/pressroom, or under
// CARGO_TARGET_DIR), CHROMIUM at another browser (default /usr/bin/chromium), and SCREENSHOTS
// at another folder for the screenshots (default target/browser-screenshots).

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The root of the repository. */
export const root = path.resolve(here, '../..');
const targetDir = process.env.CARGO_TARGET_DIR
  ? path.resolve(root, process.env.CARGO_TARGET_DIR)
  : path.join(root, 'target');
/** The `pressroom` binary under test. */
export const binary = process.env.PRESSROOM_BIN ?? path.join(targetDir, 'debug', 'pressroom');
/** Where screenshots go. */
export const screenshots = process.env.SCREENSHOTS ?? path.join(targetDir, 'browser-screenshots');
/** The axe-core tags of WCAG 2.0, 2.1 and 2.2, levels A and AA. */
export const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
/** A phone and a desktop: every page is checked at both widths. */
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

/** Starts `pressroom serve` on a free port; resolves with the process and its base URL. */
function serve(databaseUrl, env) {
  return new Promise((resolve, reject) => {
    // A CSRF key of its own, as a deployment sets one (without it the server warns at start).
    const csrfKey = randomBytes(32).toString('hex');
    const child = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--database-url', databaseUrl], {
      env: { ...process.env, RUST_LOG: 'warn', PRESSROOM_NEWSROOM_CSRF_KEY: csrfKey, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (http:\/\/\S+)/);
      if (match) resolve({ child, url: match[1] });
    });
    child.on('exit', (code) => reject(new Error(`pressroom serve exited with ${code}: ${out}`)));
  });
}

/**
 * A running Pressroom with the demo loaded: its base URL, the demo users' API tokens (by user
 * name), the CLI and the GraphQL API on the same database. `env` adds variables to the server's.
 */
export async function startPressroom(env = {}) {
  mkdirSync(screenshots, { recursive: true });
  const workdir = mkdtempSync(path.join(tmpdir(), 'pressroom-browser-'));
  const databaseUrl = `sqlite://${path.join(workdir, 'pressroom.db')}?mode=rwc`;
  /** Runs `pressroom ARGS --database-url …` and returns its stdout. */
  const cli = (...args) =>
    execFileSync(binary, [...args, '--database-url', databaseUrl], {
      encoding: 'utf8',
      env: { ...process.env, RUST_LOG: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const loaded = cli('demo', '--load-only');
  const tokens = Object.fromEntries(
    [...loaded.matchAll(/^\s+(demo-[a-z]+)\s+[A-Z_]+\*?\s+(prt_\S+)$/gm)].map((m) => [m[1], m[2]]),
  );
  assert.ok(tokens['demo-drafter'] && tokens['demo-admin'], `the demo printed its tokens:\n${loaded}`);
  const { child, url } = await serve(databaseUrl, env);

  /** POSTs a GraphQL request with `token`; fails the test on any error; resolves with `data`. */
  async function gql(token, query, variables = {}) {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    assert.equal(body.errors, undefined, JSON.stringify(body));
    return body.data;
  }

  /**
   * A one-time newsroom sign-in link from `pressroom user link` (the URL alone on the last line
   * of stdout), made absolute under the server's URL when it is relative.
   */
  function signinLink(name, role, { department, person } = {}) {
    const args = ['user', 'link', '--name', name, '--role', role];
    if (department) args.push('--department', department);
    if (person) args.push('--person', person);
    const last = cli(...args).trimEnd().split('\n').at(-1).trim();
    return last.startsWith('/') ? `${url}${last}` : last;
  }

  async function stop() {
    child.kill('SIGTERM');
    await new Promise((resolve) => {
      if (child.exitCode !== null) resolve();
      else child.once('exit', resolve);
    });
    rmSync(workdir, { recursive: true, force: true });
  }

  return { baseUrl: url, databaseUrl, tokens, cli, gql, signinLink, stop };
}

/** Debian's chromium, headless, as CI runs it (root, no sandbox, no background traffic). */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking'],
  });
}

/** A browser context as a phone: 390 px wide, touch, twice the pixels. */
export function phoneContext(browser) {
  return browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
}

/** A browser context as a desktop: 1280 px wide. */
export function desktopContext(browser) {
  return browser.newContext({ viewport: DESKTOP });
}

/** axe-core's WCAG violations of the page as it is now, one readable line per rule. */
async function violations(page) {
  const results = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  return results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`,
  );
}

/**
 * axe-core's WCAG 2.2 A and AA violations of the page, one readable entry per rule, at each of
 * `widths` (default: the current viewport width; the viewport is put back afterwards); then a
 * full-page screenshot as `NAME.png`.
 */
export async function accessibilityViolations(page, name, { widths } = {}) {
  const viewport = page.viewportSize();
  const found = [];
  for (const width of widths ?? [viewport.width]) {
    if (width !== page.viewportSize().width) await page.setViewportSize({ width, height: viewport.height });
    for (const line of await violations(page)) found.push(`${name} at ${width} px: ${line}`);
  }
  if (page.viewportSize().width !== viewport.width) await page.setViewportSize(viewport);
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
  return found;
}

/** Fails unless axe-core finds no WCAG 2.2 A or AA violation (see [accessibilityViolations]). */
export async function assertAccessible(page, name, options = {}) {
  assert.deepEqual(await accessibilityViolations(page, name, options), [], `${name}: axe found WCAG violations`);
}
