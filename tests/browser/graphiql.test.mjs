// GraphiQL in a real browser, as on a government network without internet: every request that
// would leave the server is refused, and the page must still come up, fetch the schema and run a
// query, with no Content-Security-Policy violation (its scripts are the pinned files the binary
// serves under /graphiql/, and the page has no inline script). The server and the browser are
// harness.mjs's.
//
// Run: `npm ci && npm test` in tests/browser, after `cargo build -p pressroom`
// (PRESSROOM_BIN points at another build; CHROMIUM at another browser).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { desktopContext, launchChromium, screenshots, startPressroom } from './harness.mjs';

let pressroom;
let browser;

before(async () => {
  pressroom = await startPressroom();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await pressroom?.stop();
});

test('GraphiQL runs offline from the binary under its policy and answers a query', async () => {
  const origin = new URL(pressroom.baseUrl).origin;
  const context = await desktopContext(browser);
  const elsewhere = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    elsewhere.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(String(error)));

  const schema = page.waitForResponse(
    (r) => r.url() === `${origin}/graphql` && r.request().method() === 'POST',
  );
  const response = await page.goto(`${origin}/graphql`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-security-policy'], /script-src 'self';/);
  assert.equal((await schema).status(), 200);
  await page.locator('.graphiql-container').waitFor();
  assert.equal(await page.getByText('Loading…').count(), 0, 'GraphiQL replaced the placeholder');

  // Run a query typed into the editor.
  const editor = page.locator('.graphiql-query-editor .CodeMirror');
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('{ departments { slug } }');
  const answer = page.waitForResponse(
    (r) => r.url() === `${origin}/graphql` && (r.request().postData() ?? '').includes('departments'),
  );
  await page.locator('.graphiql-execute-button').click();
  const body = await (await answer).json();
  assert.ok(Array.isArray(body.data?.departments), JSON.stringify(body));
  await page.locator('.graphiql-response').getByText('"departments"').waitFor();

  assert.deepEqual(elsewhere, [], 'nothing is fetched from anywhere else');
  assert.deepEqual(problems, [], 'no console errors (a CSP violation is one)');
  await page.screenshot({ path: path.join(screenshots, 'graphiql-1280.png') });
  await context.close();
});
