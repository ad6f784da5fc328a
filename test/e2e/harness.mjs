// End-to-end harness: the real local provider and demo server, a real Chromium, and
// a recorder for the element's events. Each test file gets its own stack and browser.
import assert from 'node:assert/strict';
import { after, afterEach, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEMO_USER } from '../../demo/servers/provider.mjs';
import { startStack } from '../../demo/servers/stack.mjs';
import { launchChromium } from '../support/browser.mjs';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));

/** Records the element's events and the page's CSP violations (fixtures/recorder.js), in every page the harness opens. */
const recorder = fileURLToPath(new URL('./fixtures/recorder.js', import.meta.url));

const EVENT_TYPES = ['token', 'auth-error', 'logout'];

/**
 * Closes browser contexts. Chromium may never answer the close of a context one of whose tabs is
 * in the middle of a navigation (and a tab closed then can stall for ~10 s), so each tab first
 * goes to about:blank, which ends any navigation in flight; and the close is given a time limit.
 * Closing a context the test already closed does nothing.
 */
async function closeContexts(contexts) {
  for (const context of contexts) {
    await Promise.all(context.pages().map((page) => page.goto('about:blank', { timeout: 5_000 }).catch(() => {})));
    let timer;
    const stuck = new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error('a browser context did not close within 15 s')), 15_000);
    });
    await Promise.race([context.close(), stuck]).finally(() => clearTimeout(timer));
  }
}

/**
 * Starts the stack and browser for the current test file. After each test, whether it passed
 * or failed, the browser contexts it opened through `newContext()` / `newPage()` are closed and
 * the provider's faults are cleared.
 * @param {object} [providerOptions] passed to startProvider
 * @param {Record<string,string>} [pages] more folders of pages to serve (URL prefix → folder)
 * @param {object} [launchOptions] passed to launchChromium
 * @param {object} [stackOptions] passed to startStack (e.g. `host: 'localhost'`: passkeys take no IP address)
 */
export function useStack(providerOptions = {}, pages = {}, launchOptions = {}, stackOptions = {}) {
  const ctx = { stack: null, browser: null };
  /** The contexts the running test opened, closed after it. */
  const contexts = new Set();
  before(async () => {
    ctx.stack = await startStack({ pages: { '/fixtures/': fixtures, ...pages }, provider: providerOptions, ...stackOptions });
    ctx.browser = await launchChromium(launchOptions);
  });
  afterEach(async () => {
    const opened = [...contexts];
    contexts.clear();
    try {
      await closeContexts(opened);
    } finally {
      resetFaults();
    }
  });
  after(async () => {
    await ctx.browser?.close();
    await ctx.stack?.close();
  });

  /** Requests the provider saw since `mark()`, those that pass `filter`. */
  const requests = (since = 0, filter = () => true) => ctx.stack.provider.requests.slice(since).filter(filter);
  const mark = () => ctx.stack.provider.requests.length;
  /** Waits until the provider has seen `count` requests that pass `filter` since `since`; resolves with them. */
  async function waitForRequests(since, filter, count = 1, timeoutMs = 10_000) {
    for (const end = Date.now() + timeoutMs; requests(since, filter).length < count; await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() > end) throw new Error(`the provider saw ${requests(since, filter).length} of ${count} expected requests in ${timeoutMs} ms`);
    }
    return requests(since, filter);
  }

  /** Turns hostile mode off: the provider answers normally again. Also done after every test. */
  function resetFaults() {
    const faults = ctx.stack?.provider.faults ?? {};
    for (const key of Object.keys(faults)) delete faults[key];
  }

  /** A POST to the provider's token endpoint from outside the browser, as another client or a thief would send it. */
  function postTokenRequest(params, headers = {}) {
    return fetch(`${ctx.stack.provider.issuer}oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params),
    });
  }

  /** A fresh browser context (own storage and cookies), closed after the test. */
  async function newContext(options) {
    const context = await ctx.browser.newContext(options);
    contexts.add(context);
    return context;
  }

  /** A page with the event recorder installed, in a fresh browser context unless one is given; its context is closed after the test. */
  async function newPage(context) {
    context ??= await newContext();
    contexts.add(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.pageErrors = [];
    page.on('pageerror', (error) => page.pageErrors.push(error));
    await page.addInitScript({ path: recorder });
    return page;
  }

  /**
   * For "nothing more happens": waits `ms` and fails as soon as something forbidden happens in
   * that time. Call it once the test has waited for what should happen, and keep the test's own
   * assertions on the outcome after it. It watches, from the moment it is called:
   * - `events`: event types recorded on `page` that must not arrive (default all; [] for none),
   *   counted from its first look at the page, a round trip later (the test's own count assertions
   *   judge any event before that);
   * - `requests`: provider requests that must not arrive (a filter; default all; null for none);
   * - `browserRequests`: requests `page` must not send (a filter on Playwright requests; default none);
   * - `navigation`: `page` must not navigate, the History API included (default false);
   * - `inPage`: a function run in the page that must stay falsy (default none).
   */
  async function expectQuiet(page, { ms, events = EVENT_TYPES, requests: forbidden = () => true, browserRequests = null, navigation = false, inPage = null }) {
    assert.ok(ms > 0 && ms <= 2_000, `expectQuiet wants a short period, not ${ms} ms`);
    const since = mark();
    const startUrl = page.url();
    let report;
    const broken = new Promise((resolve) => { report = resolve; });
    const stops = [];
    if (forbidden) {
      const poll = setInterval(() => {
        const [request] = requests(since, forbidden);
        if (request) report(`the provider got ${request.method} ${request.path}`);
      }, 10);
      stops.push(() => clearInterval(poll));
    }
    if (browserRequests) {
      const onRequest = (request) => { if (browserRequests(request)) report(`the page sent ${request.method()} ${request.url()}`); };
      page.on('request', onRequest);
      stops.push(() => page.off('request', onRequest));
    }
    if (navigation) {
      const onNavigated = (frame) => { if (frame === page.mainFrame() && frame.url() !== startUrl) report(`the page went to ${frame.url()}`); };
      page.on('framenavigated', onNavigated);
      stops.push(() => page.off('framenavigated', onNavigated));
    }
    const recorded = events.length ? await page.evaluate((types) => window.__closoEvents.filter((e) => types.includes(e.type)).length, events) : 0;
    // In-page checks end by themselves with the period: their timeout means quiet.
    const watchInPage = (fn, arg, what) => page.waitForFunction(fn, arg, { timeout: ms, polling: 10 })
      .then((handle) => handle.jsonValue(), () => undefined)
      .then((value) => { if (value !== undefined) report(`${what} ${JSON.stringify(value)}`); }, () => report(what));
    if (events.length) {
      watchInPage(([types, seen]) => window.__closoEvents.filter((e) => types.includes(e.type))[seen], [events, recorded], 'an event arrived:');
    }
    if (inPage) watchInPage(inPage, undefined, `${inPage} turned`);
    const started = Date.now();
    const quiet = new Promise((resolve) => { setTimeout(resolve, ms); });
    const outcome = await Promise.race([broken, quiet.then(() => null)]);
    for (const stop of stops) stop();
    if (outcome) assert.fail(`expected nothing for ${ms} ms, but ${Date.now() - started} ms in ${outcome}`);
  }

  return {
    get origin() { return ctx.stack.demo.origin; },
    get issuer() { return ctx.stack.provider.issuer; },
    get clientId() { return ctx.stack.provider.clientId; },
    get provider() { return ctx.stack.provider; },
    get demo() { return ctx.stack.demo; },
    get browser() { return ctx.browser; },
    requests,
    mark,
    waitForRequests,
    resetFaults,
    postTokenRequest,
    newContext,
    newPage,
    expectQuiet,
  };
}

export const isTokenRequest = (r) => r.method === 'POST' && r.path === '/oauth/token';
export const isRefreshRequest = (r) => isTokenRequest(r) && r.body?.grant_type === 'refresh_token';
export const isAuthorizeRequest = (r) => r.method === 'GET' && r.path === '/authorize';

/** Fills the local tenant's login form as a user would. */
export async function logInAtProvider(page) {
  await page.waitForURL(/\/u\/login\//);
  await page.getByLabel('Email').fill(DEMO_USER.email);
  await page.getByLabel('Password').fill(DEMO_USER.password);
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** Opens `url` in `page`, clicks Log in and signs in at the provider with `signIn` (its login form); resolves with the token event. */
export async function logIn(page, url, signIn = logInAtProvider) {
  await page.goto(url);
  await page.getByRole('button', { name: 'Log in' }).click();
  await signIn(page);
  const tokens = await waitForEvents(page, 'token');
  return tokens.at(-1);
}

export const events = (page) => page.evaluate(() => window.__closoEvents);

/** The session the element stored (localStorage or sessionStorage), or null. */
export const storedSession = (page) => page.evaluate(() => {
  const area = { ...localStorage, ...sessionStorage };
  const key = Object.keys(area).find((k) => k.includes(':session:'));
  return key ? JSON.parse(area[key]) : null;
});

/** Calls `url` through the element's fetch() (its token, and a DPoP proof when bound): the status and the JSON body. */
export const fetchThroughElement = (page, url) => page.locator('closo-login').evaluate(async (el, target) => {
  const response = await el.fetch(target);
  return { status: response.status, body: await response.json() };
}, url);

/** Content-Security-Policy violations the page reported (the demo pages run under a strict CSP with Trusted Types). */
export const cspViolations = (page) => page.evaluate(() => window.__cspViolations);

/** Waits until the page has recorded `count` events of `type`. */
export async function waitForEvents(page, type, count = 1) {
  await page.waitForFunction(([t, n]) => window.__closoEvents.filter((e) => e.type === t).length >= n, [type, count]);
  return (await events(page)).filter((e) => e.type === type);
}

/** Decodes a JWT payload (the test checks claims; the demo API checks signatures). */
export function jwtClaims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

export function jwtHeader(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'));
}

export function base64urlSha256(value) {
  return import('node:crypto').then(({ createHash }) => createHash('sha256').update(value).digest('base64url'));
}

export { DEMO_USER };
