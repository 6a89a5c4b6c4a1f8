// The newsroom end to end in a real browser (issue 12): Debian's chromium driven by
// playwright-core against the real `pressroom serve`, every page checked with axe-core against
// WCAG 2.2 A and AA at 390 and 1280 px.
//
// The story: a drafter signs in with a one-time link from `pressroom user link` and types the
// example release (../shared/fixtures/leadit-2022.json) into the forms, and GraphQL then returns
// it byte for byte; she sends it for review; the responsible minister's office approves on a
// phone with the keyboard alone; a second release, which also quotes a second minister, gets that
// minister's sign-off through a link the drafter makes; used, revoked and outdated links answer
// 410 without the release; the editor signs in with a token by keyboard and schedules the
// approved release a few seconds ahead, and its public page appears at the instant, not before;
// two people save the same draft and the second sees both versions with what she typed kept.
//
// Screenshots go to $SCREENSHOTS: `NAME.png` full pages, and `guide-*.png` (one screen, CSS
// pixels) for docs/newsroom.md.
//
// Run: `npm ci && npm test` in tests/browser, after `cargo build -p pressroom`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DESKTOP,
  PHONE,
  accessibilityViolations,
  desktopContext,
  launchChromium,
  phoneContext,
  root,
  screenshots,
  startPressroom,
} from './harness.mjs';

const fixture = JSON.parse(
  readFileSync(path.join(root, '..', 'shared', 'fixtures', 'leadit-2022.json'), 'utf8'),
);
const example = fixture.release;
const BOTH = { widths: [PHONE.width, DESKTOP.width] };

let pressroom;
let browser;
let baseUrl;
let tokens;
let department;
/** Person ids by the fixture's keys, plus `second`: a second minister the tests add. */
const people = {};
/** What the scenario made, for the steps after it. */
const made = {};
/** The drafter's browser context, signed in once and used throughout. */
let drafterContext;

before(async () => {
  // Every sign-in in this file comes from 127.0.0.1: lift the per-address limit (default 10 a
  // minute) so that the scenario's dozen sign-ins are not throttled.
  pressroom = await startPressroom({ PRESSROOM_SIGNIN_RATE_LIMIT_PER_MINUTE: '1000' });
  ({ baseUrl, tokens } = pressroom);
  const admin = tokens['demo-admin'];
  const created = await pressroom.gql(
    admin,
    `mutation($d: String!) {
      createPerson(input: {name: "Khashayar Farmanbar", title: "energi- och digitaliseringsminister", department: $d}) { id }
    }`,
    { d: example.department },
  );
  people.second = created.createPerson.id;
  const data = await pressroom.gql(admin, '{ people { id name } departments { slug timeZone } }');
  for (const person of fixture.people) {
    people[person.key] = data.people.find((p) => p.name === person.name).id;
  }
  department = data.departments.find((d) => d.slug === example.department);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await pressroom?.stop();
});

// ---------------------------------------------------------------------------------------------
// Small steps the tests share.

/** Waits for the next page load that `act` causes (a link followed, a form posted and redirected). */
async function loads(page, act) {
  const loaded = page.waitForEvent('load');
  await act();
  await loaded;
}

/** Opens a one-time sign-in link; the newsroom's work list is where it leads. */
async function signIn(context, url) {
  const page = await context.newPage();
  const response = await page.goto(url);
  assert.equal(response.status(), 200, `the sign-in link leads to a page: ${page.url()}`);
  assert.equal(new URL(page.url()).pathname, '/newsroom/', 'the link redirects into the newsroom');
  await page.getByRole('heading', { level: 1, name: 'Work' }).waitFor();
  return page;
}

/** Presses Tab until the focused element passes `isTarget` (run in the page), or fails. */
async function tabTo(page, description, isTarget, arg) {
  for (let i = 0; i < 400; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(isTarget, arg)) return;
  }
  assert.fail(`${description} is not reachable with Tab`);
}

/** The page's own heading (a release page shows the release's article, with its h1, below it). */
async function headingOf(page) {
  return (await page.locator('main h1').first().textContent()).trim();
}

/** The release page's state, in the words it shows. */
async function stateOf(page) {
  return (await page.locator('#state').textContent()).trim();
}

const focusedId = (id) => document.activeElement?.id === id;

/** The release's id in a newsroom URL /newsroom/releases/{id}. */
function releaseId(url) {
  const match = new URL(url).pathname.match(/^\/newsroom\/releases\/([^/]+)$/);
  assert.ok(match, `a release page: ${url}`);
  return match[1];
}

/** A release as GraphQL returns it to the demo drafter, with every content field. */
async function graphqlRelease(id) {
  const data = await pressroom.gql(
    tokens['demo-drafter'],
    `query($id: ID!) { release(id: $id) {
      id slug state version revision kind language title lead topics
      department { slug name timeZone }
      responsibleMinister { id name title }
      body { __typename ... on Paragraph { text } ... on Quote { text speaker { id name } } }
      contacts { name role phone mobile email }
      factBoxes { heading text }
      approvals { office { id name } status by }
    } }`,
    { id },
  );
  return data.release;
}

/** The fixture's content as createRelease input, with `changes` laid over it. */
function exampleInput(changes = {}) {
  return {
    kind: example.kind,
    language: example.language,
    department: example.department,
    responsibleMinisterId: people[example.responsibleMinister],
    title: example.title,
    lead: example.lead,
    body: example.body.map((b) =>
      b.paragraph !== undefined
        ? { paragraph: b.paragraph }
        : { quote: { speakerId: people[b.quote.speaker], text: b.quote.text } },
    ),
    contacts: example.contacts,
    factBoxes: example.factBoxes,
    topics: example.topics,
    ...changes,
  };
}

/** Creates a release through GraphQL as the demo drafter; resolves with its id and version. */
async function createRelease(input, { submit = false } = {}) {
  const drafter = tokens['demo-drafter'];
  const created = await pressroom.gql(
    drafter,
    'mutation($i: ReleaseInput!) { createRelease(input: $i) { id version } }',
    { i: input },
  );
  let release = created.createRelease;
  if (submit) {
    const submitted = await pressroom.gql(
      drafter,
      'mutation($id: ID!, $v: Int!) { submitForReview(id: $id, expectedVersion: $v) { id version } }',
      { id: release.id, v: release.version },
    );
    release = submitted.submitForReview;
  }
  return release;
}

/** Status of a GET without cookies, and whether the body mentions `text`. */
async function fetchPage(url, text) {
  const response = await fetch(url, { redirect: 'manual' });
  const body = await response.text();
  return { status: response.status, mentions: text !== undefined && body.includes(text) };
}

/** `date` in `timeZone` as the values of a date input and a time input with seconds. */
function localDateAndTime(date, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}:${parts.second}`,
  };
}

/** One screen of the page, in CSS pixels, for the user's guide. */
async function guideShot(page, name) {
  await page.screenshot({ path: path.join(screenshots, `guide-${name}.png`), scale: 'css' });
}

// ---------------------------------------------------------------------------------------------

test('a drafter signs in by link and types the example release into the forms, byte for byte', async () => {
  const problems = [];
  const link = pressroom.signinLink('Ebba Lind', 'drafter', { department: example.department });
  assert.match(link, /\/newsroom\/signin\/[^/]+$/, 'user link prints a sign-in URL');
  drafterContext = await desktopContext(browser);
  const page = await signIn(drafterContext, link);
  problems.push(...(await accessibilityViolations(page, 'newsroom-dashboard-drafter', BOTH)));

  await loads(page, () => page.getByRole('link', { name: 'New release' }).first().click());
  assert.equal(new URL(page.url()).pathname, '/newsroom/releases/new');
  problems.push(...(await accessibilityViolations(page, 'newsroom-new-empty', BOTH)));

  // What has been typed so far: field id → value. Every re-render must keep all of it.
  const typed = {};
  const type = async (id, value) => {
    await page.locator(`#${id}`).fill(value);
    typed[id] = value;
  };
  const choose = async (id, value) => {
    await page.locator(`#${id}`).selectOption(value);
    typed[id] = value;
  };
  const press = async (op) => {
    await loads(page, () => page.locator(`button[name="op"][value="${op}"]`).click());
    for (const [id, value] of Object.entries(typed)) {
      assert.equal(await page.locator(`#${id}`).inputValue(), value, `#${id} is kept after ${op}`);
    }
  };

  await type('title', example.title);
  await type('lead', example.lead);
  await type('language', example.language);
  await choose('kind', example.kind);
  await choose('minister', people[example.responsibleMinister]);
  for (const [i, block] of example.body.entries()) {
    if (i > 0) await press(block.quote ? 'add-quote' : 'add-paragraph');
    await choose(`block-${i}-kind`, block.quote ? 'quote' : 'paragraph');
    if (block.quote) {
      await choose(`block-${i}-speaker`, people[block.quote.speaker]);
      await type(`block-${i}-text`, block.quote.text);
    } else {
      await type(`block-${i}-text`, block.paragraph);
    }
  }
  for (const [i, contact] of example.contacts.entries()) {
    if (i > 0) await press('add-contact');
    for (const field of ['name', 'role', 'phone', 'mobile', 'email']) {
      await type(`contact-${i}-${field}`, contact[field] ?? '');
    }
  }
  for (const [i, fact] of example.factBoxes.entries()) {
    await press('add-fact');
    await type(`fact-${i}-heading`, fact.heading);
    await type(`fact-${i}-text`, fact.text);
  }
  await type('topics', example.topics.join('\n'));
  problems.push(...(await accessibilityViolations(page, 'newsroom-new-filled', BOTH)));
  await page.evaluate(() => window.scrollTo(0, 0));
  await guideShot(page, 'edit');

  await loads(page, () => page.locator('#save').click());
  const id = releaseId(page.url());
  made.example = id;
  assert.equal(await headingOf(page), example.title);
  assert.equal(await stateOf(page), 'a draft');
  problems.push(...(await accessibilityViolations(page, 'newsroom-release-draft', BOTH)));
  await loads(page, () => page.getByRole('link', { name: 'Preview as published' }).click());
  assert.match(await page.locator('.not-published').innerText(), /Not published/);
  assert.equal((await page.locator('article h1').textContent()).trim(), example.title);
  problems.push(...(await accessibilityViolations(page, 'newsroom-preview', BOTH)));

  // What the API returns is the fixture, field by field.
  const stored = await graphqlRelease(id);
  assert.equal(stored.kind, example.kind);
  assert.equal(stored.language, example.language);
  assert.equal(stored.department.slug, example.department);
  const minister = fixture.people.find((p) => p.key === example.responsibleMinister);
  assert.equal(stored.responsibleMinister.name, minister.name);
  assert.equal(stored.responsibleMinister.title, minister.title);
  assert.equal(stored.title, example.title);
  assert.equal(stored.lead, example.lead);
  assert.equal(stored.body.length, example.body.length);
  for (const [i, block] of example.body.entries()) {
    if (block.paragraph !== undefined) {
      assert.deepEqual(stored.body[i], { __typename: 'Paragraph', text: block.paragraph }, `block ${i}`);
    } else {
      assert.equal(stored.body[i].__typename, 'Quote', `block ${i}`);
      assert.equal(stored.body[i].speaker.id, people[block.quote.speaker], `block ${i}'s speaker`);
      assert.equal(stored.body[i].text, block.quote.text, `block ${i}`);
    }
  }
  assert.deepEqual(stored.contacts, example.contacts);
  assert.deepEqual(stored.factBoxes, example.factBoxes);
  assert.deepEqual(stored.topics, example.topics);
  made.slug = stored.slug;

  await page.close();
  assert.deepEqual(problems, [], 'axe found WCAG violations');
});

test('the drafter sends it for review; the minister\'s office approves on a 390 px phone with the keyboard alone', async () => {
  assert.ok(made.example, 'the example release was saved');
  const problems = [];
  const page = await drafterContext.newPage();
  await page.goto(`${baseUrl}/newsroom/releases/${made.example}`);
  await loads(page, () => page.locator('#submit').click());
  assert.equal(releaseId(page.url()), made.example);
  assert.equal(await stateOf(page), 'in review');
  problems.push(...(await accessibilityViolations(page, 'newsroom-release-in-review', BOTH)));
  await page.close();

  const office = await phoneContext(browser);
  const link = pressroom.signinLink('Karin Öberg', 'minister_office', {
    person: people[example.responsibleMinister],
  });
  const dashboard = await signIn(office, link);
  problems.push(...(await accessibilityViolations(dashboard, 'newsroom-dashboard-office-390', BOTH)));
  const awaiting = dashboard.locator(`.awaiting a[href="/newsroom/releases/${made.example}"]`);
  assert.equal(await awaiting.count(), 1, 'the release awaits the office\'s sign-off on its work list');
  await loads(dashboard, () => awaiting.click());
  const page390 = dashboard;
  assert.equal(releaseId(page390.url()), made.example);
  problems.push(...(await accessibilityViolations(page390, 'newsroom-release-office-390', BOTH)));
  await guideShot(page390, 'office-390');
  const overflow = await page390.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, 'nothing is wider than the phone');

  // The keyboard alone: Tab to the approve button, then Space.
  await tabTo(page390, 'the approve button', focusedId, 'approve');
  await loads(page390, () => page390.keyboard.press('Space'));
  assert.equal(releaseId(page390.url()), made.example);
  assert.equal(await stateOf(page390), 'approved');
  problems.push(...(await accessibilityViolations(page390, 'newsroom-release-approved-office-390', BOTH)));
  await office.close();

  const stored = await graphqlRelease(made.example);
  assert.equal(stored.state, 'APPROVED');
  assert.deepEqual(
    stored.approvals.map((a) => [a.office.id, a.status, a.by]),
    [[people[example.responsibleMinister], 'APPROVED', 'Karin Öberg']],
  );
  assert.deepEqual(problems, [], 'axe found WCAG violations');
});

test('a second quoted minister\'s office approves through a sign-off link the drafter makes', async () => {
  const problems = [];
  // The fixture quotes only its responsible minister, and the first test needs it unchanged; a
  // second release adds a quote by a second minister, whose office signs off by link.
  const quote = {
    quote: {
      speakerId: people.second,
      text: 'Industrins omställning kräver fossilfri el, och den ska finnas där industrin behöver den',
    },
  };
  const second = await createRelease(
    exampleInput({ title: 'LeadIT: fossilfri el för den tunga industrin', body: [...exampleInput().body, quote] }),
    { submit: true },
  );
  made.second = second.id;

  const page = await drafterContext.newPage();
  await page.goto(`${baseUrl}/newsroom/releases/${second.id}`);
  assert.equal(await stateOf(page), 'in review');
  await page.locator('#signoff-person').selectOption(people.second);
  await page.locator('#signoff-signer').fill('Olle Rådgivare');
  await loads(page, () => page.locator('#create-link').click());
  const shown = await page.locator('#created-link').inputValue();
  assert.match(shown, /\/signoff\/[^/]+$/, 'the sign-off URL is shown');
  problems.push(...(await accessibilityViolations(page, 'newsroom-release-link-created', BOTH)));
  // The POST redirected to the page that shows the URL; reloaded, it shows it no more and
  // makes no second link.
  await page.reload();
  assert.equal(await page.locator('#created-link').count(), 0, 'the URL is shown only once');
  assert.equal(
    await page.locator('.signoff-links li', { hasText: 'Olle Rådgivare' }).count(),
    1,
    'a reload makes no second link',
  );
  const url = shown.startsWith('/') ? `${baseUrl}${shown}` : shown;
  made.answeredLink = url;

  const signer = await phoneContext(browser);
  const signoff = await signer.newPage();
  const response = await signoff.goto(url);
  assert.equal(response.status(), 200);
  problems.push(...(await accessibilityViolations(signoff, 'newsroom-signoff-second-minister', BOTH)));
  assert.ok((await signoff.locator('blockquote.quote.marked').count()) > 0, 'the minister\'s quote is marked');
  await Promise.all([
    signoff.waitForResponse((r) => r.request().method() === 'POST' && r.url() === url),
    signoff.locator('#approve').click(),
  ]);
  await signoff.getByRole('heading', { level: 1, name: /godkännande är registrerat/ }).waitFor();
  problems.push(...(await accessibilityViolations(signoff, 'newsroom-signoff-thanks', BOTH)));
  await signer.close();

  const stored = await graphqlRelease(second.id);
  const approval = (person) => stored.approvals.find((a) => a.office.id === person);
  assert.equal(approval(people.second).status, 'APPROVED');
  assert.equal(approval(people.second).by, 'Olle Rådgivare');
  assert.equal(approval(people[example.responsibleMinister]).status, 'PENDING');
  assert.equal(stored.state, 'IN_REVIEW');

  await page.reload();
  const answered = page.locator('.signoff-links li', { hasText: 'Olle Rådgivare' });
  assert.match(await answered.innerText(), /answered/, 'the release page lists the link as answered');
  await page.close();
  assert.deepEqual(problems, [], 'axe found WCAG violations');
});

test('used, revoked and outdated sign-off links answer 410 and show nothing of the release', async () => {
  assert.ok(made.answeredLink, 'the second release has an answered link');
  const problems = [];
  const title = 'LeadIT: fossilfri el för den tunga industrin';
  const page = await drafterContext.newPage();
  const releaseUrl = `${baseUrl}/newsroom/releases/${made.second}`;
  await page.goto(releaseUrl);

  const createLink = async (signer) => {
    await page.locator('#signoff-person').selectOption(people[example.responsibleMinister]);
    await page.locator('#signoff-signer').fill(signer);
    await loads(page, () => page.locator('#create-link').click());
    const shown = await page.locator('#created-link').inputValue();
    return shown.startsWith('/') ? `${baseUrl}${shown}` : shown;
  };
  const revoked = await createLink('Anna Rådgivare');
  await page.goto(releaseUrl);
  await loads(page, () => page.getByRole('button', { name: 'Revoke the link for Anna Rådgivare' }).click());
  assert.match(
    await page.locator('.signoff-links li', { hasText: 'Anna Rådgivare' }).innerText(),
    /revoked/,
  );
  await page.goto(releaseUrl);
  const outdated = await createLink('Bo Rådgivare');

  // A new revision (the drafter edits the lead) outdates the link made for the one before.
  await page.goto(`${releaseUrl}/edit`);
  problems.push(...(await accessibilityViolations(page, 'newsroom-edit-in-review', BOTH)));
  await page.locator('#lead').fill(`${example.lead} Mötet hålls på engelska.`);
  await loads(page, () => page.locator('#save').click());
  assert.equal(releaseId(page.url()), made.second);
  assert.match(
    await page.locator('.signoff-links li', { hasText: 'Bo Rådgivare' }).innerText(),
    /outdated/,
  );
  problems.push(...(await accessibilityViolations(page, 'newsroom-release-links', BOTH)));
  await page.close();

  const before = await graphqlRelease(made.second);
  const visitor = await phoneContext(browser);
  const dead = await visitor.newPage();
  for (const [name, url] of [
    ['used', made.answeredLink],
    ['revoked', revoked],
    ['outdated', outdated],
  ]) {
    const response = await dead.goto(url);
    assert.equal(response.status(), 410, `a ${name} link answers 410`);
    const html = await dead.content();
    for (const text of [title, example.lead.slice(0, 60), example.body[0].paragraph.slice(0, 60)]) {
      assert.ok(!html.includes(text), `a ${name} link shows nothing of the release`);
    }
    problems.push(...(await accessibilityViolations(dead, `newsroom-signoff-${name}-410`, BOTH)));
    // An answer sent to it anyway changes nothing.
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'answer=approve',
    });
    assert.equal(answer.status, 410, `an answer to a ${name} link is refused`);
  }
  await visitor.close();
  const after = await graphqlRelease(made.second);
  assert.equal(after.version, before.version, 'the dead links changed nothing');
  assert.deepEqual(after.approvals, before.approvals);
  assert.deepEqual(problems, [], 'axe found WCAG violations');
});

test('the editor signs in with a token by keyboard and schedules the release; it is public at the instant', async () => {
  assert.ok(made.example && made.slug, 'the example release was approved');
  const problems = [];
  const editor = await desktopContext(browser);
  const page = await editor.newPage();
  await page.goto(`${baseUrl}/newsroom/signin`);
  problems.push(...(await accessibilityViolations(page, 'newsroom-signin', BOTH)));
  // The keyboard alone: Tab to the token field, type, Tab to the button, Enter.
  await tabTo(page, 'the token field', focusedId, 'token');
  await page.keyboard.type(tokens['demo-editor']);
  await tabTo(page, 'the sign-in button', () => document.activeElement?.textContent === 'Sign in');
  await loads(page, () => page.keyboard.press('Enter'));
  assert.equal(new URL(page.url()).pathname, '/newsroom/');
  assert.match(await page.locator('.who').innerText(), /demo-editor \(editor\)/);
  problems.push(...(await accessibilityViolations(page, 'newsroom-dashboard-editor', BOTH)));

  const publicUrl = `${baseUrl}/releases/${made.slug}`;
  assert.equal((await fetchPage(publicUrl)).status, 404, 'not public while approved');

  await page.goto(`${baseUrl}/newsroom/releases/${made.example}`);
  assert.equal(await stateOf(page), 'approved');
  // A few seconds ahead, in whole seconds, in the department's zone.
  const instant = new Date(Math.ceil((Date.now() + 12000) / 1000) * 1000);
  const local = localDateAndTime(instant, department.timeZone);
  await page.locator('#schedule-date').fill(local.date);
  await page.locator('#schedule-time').fill(local.time);
  await page.locator('#schedule').focus();
  await guideShot(page, 'schedule');
  await loads(page, () => page.locator('#schedule').click());
  assert.equal(releaseId(page.url()), made.example);
  assert.equal(await stateOf(page), 'under embargo');
  const machine = await page.locator('#embargo time').getAttribute('datetime');
  assert.equal(Date.parse(machine), instant.getTime(), `the embargo is the instant typed: ${machine}`);
  problems.push(...(await accessibilityViolations(page, 'newsroom-release-embargoed', BOTH)));
  await page.goto(`${baseUrl}/newsroom/`);
  const scheduled = page.locator(`.scheduled a[href="/newsroom/releases/${made.example}"]`);
  assert.equal(await scheduled.count(), 1, 'the work list shows it under the next 48 hours');
  await guideShot(page, 'dashboard');

  // Public at the instant: 404 up to it, 200 from it on. A 404 must have been asked for before
  // the instant; a 200 must have arrived after it, and soon after it.
  const at = instant.getTime();
  let missingBefore = 0;
  let shown;
  while (Date.now() < at + 5000) {
    const asked = Date.now();
    const { status, mentions } = await fetchPage(publicUrl, example.title);
    const answered = Date.now();
    if (status === 200) {
      assert.ok(mentions, 'the public page shows the release');
      shown = { asked, answered };
      break;
    }
    assert.equal(status, 404, 'the public page is missing before the instant');
    assert.ok(asked < at, `a 404 asked for ${asked - at} ms after the instant`);
    missingBefore += 1;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(missingBefore > 0, 'the page was asked for before the instant');
  assert.ok(shown, 'the page appeared within 5 s of the instant');
  assert.ok(shown.answered >= at, `shown ${at - shown.answered} ms before the instant`);
  assert.ok(shown.asked - at < 2000, `shown only ${shown.asked - at} ms after the instant`);

  const reader = await phoneContext(browser);
  const publicPage = await reader.newPage();
  assert.equal((await publicPage.goto(publicUrl)).status(), 200);
  await publicPage.getByRole('heading', { level: 1, name: example.title }).waitFor();
  problems.push(...(await accessibilityViolations(publicPage, 'public-release-390', BOTH)));
  await reader.close();

  await page.goto(`${baseUrl}/newsroom/releases/${made.example}`);
  assert.equal(await stateOf(page), 'published');
  problems.push(...(await accessibilityViolations(page, 'newsroom-release-published', BOTH)));
  await editor.close();
  assert.deepEqual(problems, [], 'axe found WCAG violations');
});

test('two people save the same draft: the second sees both versions, with what she typed kept', async () => {
  const problems = [];
  const draft = await createRelease(exampleInput({ title: 'Utkast: LeadIT möts i Stockholm' }));
  const editUrl = `${baseUrl}/newsroom/releases/${draft.id}/edit`;

  const first = await drafterContext.newPage();
  await first.goto(editUrl);
  const colleague = await desktopContext(browser);
  const second = await signIn(
    colleague,
    pressroom.signinLink('Hugo Berg', 'drafter', { department: example.department }),
  );
  await second.goto(editUrl);

  // The first saves with the keyboard alone: Tab to the title, type, Tab to Save, Enter.
  const firstTitle = 'LeadIT möts i Stockholm – två nya länder';
  await tabTo(first, 'the title field', focusedId, 'title');
  await first.keyboard.press('Control+A');
  await first.keyboard.type(firstTitle);
  await tabTo(first, 'the save button', focusedId, 'save');
  await loads(first, () => first.keyboard.press('Enter'));
  assert.equal(releaseId(first.url()), draft.id);
  assert.equal(await headingOf(first), firstTitle);
  await first.close();

  // The second, still on the version she opened, changes the title and the lead too.
  const secondTitle = 'Japan och Sydafrika ansluter till LeadIT';
  const secondLead = `${example.lead}\nMötet leds av Sverige och Indien.`;
  await second.locator('#title').fill(secondTitle);
  await second.locator('#lead').fill(secondLead);
  const [answer] = await Promise.all([
    second.waitForResponse((r) => r.request().method() === 'POST' && r.url() === editUrl),
    second.locator('#save').click(),
  ]);
  assert.equal(answer.status(), 409);
  await second.waitForLoadState('load');
  const stale = second.locator('section.stale');
  await stale.waitFor();
  assert.match(await stale.innerText(), /The saved version/);
  assert.match(await stale.innerText(), /Your version/);
  assert.match(await stale.innerText(), new RegExp(firstTitle.split(' – ')[1]));
  assert.equal(await second.locator('#title').inputValue(), secondTitle, 'her title is kept');
  assert.equal(await second.locator('#lead').inputValue(), secondLead, 'her lead is kept');
  problems.push(...(await accessibilityViolations(second, 'newsroom-stale', BOTH)));
  await stale.scrollIntoViewIfNeeded();
  await guideShot(second, 'stale');

  // Saving again is a deliberate choice, and it now succeeds.
  await loads(second, () => second.locator('#save').click());
  assert.equal(releaseId(second.url()), draft.id);
  const stored = await graphqlRelease(draft.id);
  assert.equal(stored.title, secondTitle);
  assert.equal(stored.lead, secondLead);
  await colleague.close();
  assert.deepEqual(problems, [], 'axe found WCAG violations');
});

test('an editor publishes now, corrects and withdraws, each after a confirmation page', async () => {
  const problems = [];
  // Approved through the API (written by the demo drafter, approved by the demo office).
  let release = await createRelease(exampleInput({ title: 'LeadIT välkomnar Japan och Sydafrika' }), { submit: true });
  const approved = await pressroom.gql(
    tokens['demo-office'],
    'mutation($id: ID!, $v: Int!) { approveRelease(id: $id, expectedVersion: $v) { id version state slug } }',
    { id: release.id, v: release.version },
  );
  release = approved.approveRelease;
  assert.equal(release.state, 'APPROVED');
  const releaseUrl = `${baseUrl}/newsroom/releases/${release.id}`;
  const publicUrl = `${baseUrl}/releases/${release.slug}`;

  const editor = await desktopContext(browser);
  const page = await signIn(
    editor,
    pressroom.signinLink('Erik Sandberg', 'editor', { department: example.department }),
  );
  await page.goto(releaseUrl);

  // Scheduled for tomorrow at 09:00, then the embargo is cancelled with a reason.
  const tomorrow = localDateAndTime(new Date(Date.now() + 24 * 3600 * 1000), department.timeZone);
  await page.locator('#schedule-date').fill(tomorrow.date);
  await page.locator('#schedule-time').fill('09:00:00');
  await loads(page, () => page.locator('#schedule').click());
  assert.equal(await stateOf(page), 'under embargo');
  await loads(page, () => page.locator('#cancel-embargo').click());
  problems.push(...(await accessibilityViolations(page, 'newsroom-confirm-cancel-embargo', BOTH)));
  await page.locator('#reason').fill('Ministern vill vänta till efter mötet.');
  await loads(page, () => page.locator('#confirm').click());
  assert.equal(releaseId(page.url()), release.id);
  assert.equal(await stateOf(page), 'approved');

  await loads(page, () => page.locator('#publish-now').click());
  problems.push(...(await accessibilityViolations(page, 'newsroom-confirm-publish', BOTH)));
  await loads(page, () => page.locator('#confirm').click());
  assert.equal(await stateOf(page), 'published');
  assert.equal((await fetchPage(publicUrl)).status, 200, 'public at once');

  // A correction: a new lead, live at once with its public note.
  await loads(page, () => page.locator('#correct').click());
  problems.push(...(await accessibilityViolations(page, 'newsroom-correct', BOTH)));
  const note = 'Rättat: mötet hålls i Stockholm, inte i Göteborg.';
  await page.locator('#lead').fill(`${example.lead} Rättad ingress.`);
  await page.locator('#note').fill(note);
  await loads(page, () => page.locator('#save').click());
  assert.equal(await stateOf(page), 'published');
  assert.ok((await fetchPage(publicUrl, note)).mentions, 'the public page shows the correction note');

  await loads(page, () => page.locator('#withdraw').click());
  problems.push(...(await accessibilityViolations(page, 'newsroom-confirm-withdraw', BOTH)));
  const reason = 'Pressmeddelandet innehöll felaktiga uppgifter.';
  await page.locator('#reason').fill(reason);
  await loads(page, () => page.locator('#confirm').click());
  assert.equal(await stateOf(page), 'withdrawn');
  problems.push(...(await accessibilityViolations(page, 'newsroom-release-withdrawn', BOTH)));
  const withdrawn = await fetchPage(publicUrl, reason);
  assert.equal(withdrawn.status, 200, 'a withdrawn release stays readable');
  assert.ok(withdrawn.mentions, 'with its withdrawal notice');
  await editor.close();
  assert.deepEqual(problems, [], 'axe found WCAG violations');
});

test('a form sent without its CSRF token is refused with 403 and changes nothing', async () => {
  assert.ok(made.second, 'the second release exists');
  const before = await graphqlRelease(made.second);
  const response = await drafterContext.request.post(`${baseUrl}/newsroom/releases/${made.second}/edit`, {
    form: { title: 'Kapad titel', op: 'save', expected_version: String(before.version) },
    maxRedirects: 0,
  });
  assert.equal(response.status(), 403);
  const after = await graphqlRelease(made.second);
  assert.equal(after.version, before.version);
  assert.equal(after.title, before.title);
});

test('a release the office may not see is the same 404 as an unknown one', async () => {
  const draft = await createRelease(exampleInput({ title: 'Utkast som kansliet inte ser' }));
  const office = await phoneContext(browser);
  const page = await signIn(
    office,
    pressroom.signinLink('Karin Öberg', 'minister_office', { person: people[example.responsibleMinister] }),
  );
  const hidden = await page.goto(`${baseUrl}/newsroom/releases/${draft.id}`);
  const hiddenBody = await page.locator('main').innerHTML();
  assert.equal(hidden.status(), 404);
  assert.ok(!(await page.content()).includes('Utkast som kansliet inte ser'));
  const problems = await accessibilityViolations(page, 'newsroom-not-found', BOTH);
  const unknown = await page.goto(`${baseUrl}/newsroom/releases/${draft.id.replace(/.$/, (c) => (c === '0' ? '1' : '0'))}`);
  assert.equal(unknown.status(), 404);
  assert.equal(await page.locator('main').innerHTML(), hiddenBody, 'the two pages are the same');
  await office.close();
  assert.deepEqual(problems, [], 'axe found WCAG violations');
});

test('a sign-in link works once', async () => {
  const link = pressroom.signinLink('Ebba Lind', 'drafter', { department: example.department });
  const context = await phoneContext(browser);
  const page = await signIn(context, link);
  await context.clearCookies();
  const again = await page.goto(link);
  assert.equal(again.status(), 410);
  const problems = await accessibilityViolations(page, 'newsroom-signin-link-used', BOTH);
  await context.close();
  assert.deepEqual(problems, [], 'axe found WCAG violations');
});

test('the history of a release lists what happened to it, and who did it', async () => {
  assert.ok(made.example, 'the example release exists');
  const page = await drafterContext.newPage();
  const response = await page.goto(`${baseUrl}/newsroom/releases/${made.example}/history`);
  assert.equal(response.status(), 200);
  const text = await page.locator('main').innerText();
  for (const who of ['Ebba Lind', 'Karin Öberg', 'demo-editor']) assert.match(text, new RegExp(who));
  const problems = await accessibilityViolations(page, 'newsroom-history', BOTH);
  await page.close();
  assert.deepEqual(problems, [], 'axe found WCAG violations');
});

/**
 * axe-core needs JavaScript in the page: pages used with JavaScript off are checked by opening
 * the same address in a second, signed-in context with JavaScript on.
 */
async function checkWithScript(signinUrl, url, name, prepare = async () => {}) {
  const context = await desktopContext(browser);
  const page = await signIn(context, signinUrl);
  await page.goto(url);
  await prepare(page);
  const problems = await accessibilityViolations(page, name, BOTH);
  await context.close();
  return problems;
}

test('an admin, with JavaScript off, makes a sign-in link and an API token, revokes the token and sets an office address', async () => {
  const context = await browser.newContext({ viewport: DESKTOP, javaScriptEnabled: false });
  const page = await signIn(context, pressroom.signinLink('Ada Admin', 'admin'));
  await loads(page, () => page.getByRole('link', { name: 'Admin' }).click());
  assert.equal(await headingOf(page), 'Admin');

  // One form, two buttons: first a sign-in link, then an API token; each is shown once.
  await page.locator('#link-name').fill('Britt Byrå');
  await page.locator('#link-role').selectOption('DRAFTER');
  await page.locator('#link-department').selectOption(example.department);
  await loads(page, () => page.locator('#create-signin-link').click());
  assert.match(await page.locator('#created-link').inputValue(), /\/newsroom\/signin\/psi_[0-9a-f]{64}$/);
  await page.locator('#link-name').fill('Agency Feed');
  await page.locator('#link-role').selectOption('INTEGRATOR');
  await loads(page, () => page.locator('#create-token').click());
  const token = await page.locator('#created-token').inputValue();
  assert.match(token, /^prt_[0-9a-f]{64}$/);

  // The token works until it is revoked from its row.
  const ask = async (bearer) => {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    const body = await response.json();
    return body.errors?.[0]?.extensions?.code ?? 'OK';
  };
  assert.equal(await ask(token), 'OK');
  const row = page.locator('table.tokens tr', { hasText: 'Agency Feed' });
  await loads(page, () => row.getByRole('button', { name: /Revoke the token/ }).click());
  assert.match(await page.locator('table.tokens tr', { hasText: 'Agency Feed' }).innerText(), /revoked/);
  assert.equal(await ask(token), 'UNAUTHENTICATED', 'a revoked token is refused at once');

  // An office address, and a refused one that keeps the page.
  await page.locator(`#office-email-${people.strandhall}`).fill('kansli@example.se');
  await loads(page, () =>
    page.getByRole('button', { name: /Save the address of Annika Strandhäll/ }).click(),
  );
  assert.equal(await page.locator(`#office-email-${people.strandhall}`).inputValue(), 'kansli@example.se');
  await page.locator('#user-email-name').fill('Ebba Lind');
  await page.locator('#user-email').fill('not an address');
  await loads(page, () => page.getByRole('button', { name: "Save the user's address" }).click());
  assert.match(await page.locator('.error-summary').innerText(), /E-mail address/);
  await context.close();

  // The same pages, with their tokens, links and addresses, for axe (which needs JavaScript).
  const admin = () => pressroom.signinLink('Ada Admin', 'admin');
  const problems = await checkWithScript(admin(), `${baseUrl}/newsroom/admin`, 'newsroom-admin');
  problems.push(
    ...(await checkWithScript(admin(), `${baseUrl}/newsroom/admin`, 'newsroom-admin-refused', async (p) => {
      await p.locator('#user-email-name').fill('Ebba Lind');
      await p.locator('#user-email').fill('not an address');
      await loads(p, () => p.getByRole('button', { name: "Save the user's address" }).click());
    })),
  );
  assert.deepEqual(problems, [], 'axe found WCAG violations');
});

test('a drafter, with JavaScript off, sets and sees a review deadline in the department\'s time', async () => {
  const { id } = await createRelease(exampleInput({ title: 'Ett pressmeddelande med svarstid' }), {
    submit: true,
  });
  const drafter = () => pressroom.signinLink('Ebba Lind', 'drafter', { department: example.department });
  const context = await browser.newContext({ viewport: PHONE, javaScriptEnabled: false });
  const page = await signIn(context, drafter());
  await page.goto(`${baseUrl}/newsroom/releases/${id}`);
  const tomorrow = localDateAndTime(new Date(Date.now() + 24 * 3600 * 1000), department.timeZone);
  await page.locator('#deadline-date').fill(tomorrow.date);
  await page.locator('#deadline-time').fill('15:00');
  await loads(page, () => page.locator('#set-deadline').click());
  assert.match(await page.locator('#review-deadline').innerText(), /15:00/);
  await context.close();
  const problems = await checkWithScript(drafter(), `${baseUrl}/newsroom/releases/${id}`, 'newsroom-review-deadline');
  assert.deepEqual(problems, [], 'axe found WCAG violations');
});
