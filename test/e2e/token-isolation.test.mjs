// Refresh tokens out of reach of page scripts (storage="memory"): the refresh token lives in
// the vault worker. Proven on the page's own heap (a DevTools heap snapshot of the main realm),
// its storage, cookies, events and properties, while the provider shows the refresh tokens it
// issued being used; the same search finds the token on a page that forbids workers, where
// the element falls back to keeping it in the page. A hostile script that reaches the worker
// cannot get the token out nor send it anywhere else.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { events, fetchThroughElement, isRefreshRequest, isTokenRequest, jwtClaims, logIn, useStack, waitForEvents } from './harness.mjs';

// Heap snapshots cut strings at 1,024 characters by default: a JSON body holding the token
// further in would hide it from the search.
// cdn/cdn.html loads the drop-in from https://cdn.example/ (answered by the test from dist/), under
// the demo's strict policy plus what docs/page-and-api.md says a CDN needs.
const cdnPages = {
  dir: fileURLToPath(new URL('./cdn/', import.meta.url)),
  sources: { 'cdn.html': { 'script-src': 'https://cdn.example', 'connect-src': 'https://cdn.example', 'worker-src': 'blob:' } },
};
const env = useStack({}, { '/cdn/': cdnPages }, { args: ['--js-flags=--heap-snapshot-string-limit=1000000'] });

afterEach(() => {
  env.provider.settings.accessTokenTTL = 3600;
});

/** The page's main-realm heap as one text (HeapProfiler.takeHeapSnapshot), after a garbage collection. */
async function heapSnapshot(page) {
  const cdp = await page.context().newCDPSession(page);
  const chunks = [];
  cdp.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => chunks.push(chunk));
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await cdp.detach();
  return chunks.join('');
}

/** Everything of the page's state a script can read without the heap: storage, cookies, events, the element's properties. */
async function readableState(page) {
  const inPage = await page.evaluate(() => {
    const el = document.querySelector('closo-login');
    const properties = {};
    for (let proto = el; proto && proto !== HTMLElement.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        try {
          const value = el[name];
          if (typeof value !== 'function') properties[name] = value;
        } catch {
          // a getter that throws reveals nothing
        }
      }
    }
    const seen = new WeakSet();
    const acyclic = (key, value) => {
      if (value instanceof Node) return undefined;
      if (value && typeof value === 'object') {
        if (seen.has(value)) return undefined;
        seen.add(value);
        if (value instanceof Map || value instanceof Set) return [...value];
      }
      return value;
    };
    return JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie, properties, events: window.__closoEvents }, acyclic);
  });
  return inPage + JSON.stringify(await page.context().cookies());
}

/** Logs in on `fixture` with 4 s access tokens, and waits for `renewals` renewals. */
async function logInAndRenew(fixture, renewals) {
  env.provider.settings.accessTokenTTL = 4;
  const page = await env.newPage();
  const warnings = [];
  page.on('console', (message) => { if (message.type() === 'warning') warnings.push(message.text()); });
  const issuedBefore = env.provider.issuedRefreshTokens.length;
  const since = env.mark();
  await logIn(page, `${env.origin}/fixtures/${fixture}`);
  const tokens = await waitForEvents(page, 'token', 1 + renewals);
  return { page, warnings, tokens, since, issued: env.provider.issuedRefreshTokens.slice(issuedBefore) };
}

describe('refresh tokens in memory mode', () => {
  it('never enter the page: not in its heap, storage, cookies, events or properties, while the provider sees them used', async () => {
    const { page, warnings, tokens, since, issued } = await logInAndRenew('memory.html', 2);
    assert.equal(await page.locator('closo-login').evaluate((el) => el.tokenIsolation), 'worker');
    assert.deepEqual(warnings.filter((text) => text.includes('closo-login')), []);
    // The provider issued a refresh token with the login and rotated it at each renewal: the
    // renewals sent exactly the tokens it had issued before them.
    assert.equal(issued.length, 3);
    const sent = env.requests(since, isRefreshRequest).map((request) => request.body.refresh_token);
    assert.deepEqual(sent, issued.slice(0, 2));
    assert.equal(new Set(tokens.map((event) => event.detail.accessToken)).size, 3);

    const heap = await heapSnapshot(page);
    // The search finds what is there: the current access token is in the page.
    assert.ok(heap.includes(tokens.at(-1).detail.accessToken));
    for (const refreshToken of issued) assert.ok(!heap.includes(refreshToken), 'a refresh token is in the page\'s heap');
    const state = await readableState(page);
    for (const refreshToken of issued) assert.ok(!state.includes(refreshToken), 'a refresh token is readable by page scripts');
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  });

  it('stay in the page, with one warning and tokenIsolation "page", where the page forbids workers (and the heap search finds them)', async () => {
    const { page, warnings, issued } = await logInAndRenew('memory-no-worker.html', 1);
    assert.equal(await page.locator('closo-login').evaluate((el) => el.tokenIsolation), 'page');
    const ours = warnings.filter((text) => text.startsWith('closo-login: refresh tokens are kept in the page, not in a worker:'));
    assert.equal(ours.length, 1);
    assert.equal(issued.length, 2);
    // The same search as above: here the current refresh token is in the page's heap.
    assert.ok((await heapSnapshot(page)).includes(issued.at(-1)));
    assert.equal((await events(page)).filter((event) => event.type === 'auth-error').length, 0);
  });

  it('cannot be taken or misused by a page script that captures the worker', async () => {
    const page = await env.newPage();
    // Runs before closo-login: keeps every worker the page starts and every message it sends.
    await page.addInitScript(() => {
      const Original = window.Worker;
      window.__workers = [];
      window.__fromWorker = [];
      window.Worker = class extends Original {
        constructor(...args) {
          super(...args);
          window.__workers.push(this);
          this.addEventListener('message', (event) => window.__fromWorker.push(JSON.stringify(event.data)));
        }
      };
    });
    const issuedBefore = env.provider.issuedRefreshTokens.length;
    await logIn(page, `${env.origin}/fixtures/memory.html`);
    const since = env.mark();
    const tokenEndpoint = `${env.issuer}oauth/token`;
    const outcome = await page.evaluate(async ({ tokenEndpoint, clientId }) => {
      const worker = window.__workers[0];
      // The handle the page holds instead of the refresh token, as the worker's answer carried it.
      const handle = window.__fromWorker.map((text) => JSON.parse(text)).map((answer) => answer.body && JSON.parse(answer.body).refresh_token).find(Boolean);
      let id = 1000;
      const ask = (message) => new Promise((resolve) => {
        const mine = ++id;
        const listen = (event) => {
          if (event.data?.id !== mine) return;
          worker.removeEventListener('message', listen);
          resolve({ status: event.data.status, body: event.data.body ? JSON.parse(event.data.body) : event.data });
        };
        worker.addEventListener('message', listen);
        worker.postMessage({ id: mine, headers: {}, ...message });
      });
      const form = (params) => new URLSearchParams(params).toString();
      // Binding again, to an endpoint of the attacker's: ignored (bound once).
      worker.postMessage({ binding: { tokenEndpoint: 'http://127.0.0.1:9/steal', revocationEndpoint: null, clientId: 'evil' } });
      return {
        handle,
        elsewhere: await ask({ url: 'http://127.0.0.1:9/steal', body: form({ grant_type: 'refresh_token', refresh_token: handle, client_id: clientId }) }),
        otherClient: await ask({ url: tokenEndpoint, body: form({ grant_type: 'refresh_token', refresh_token: handle, client_id: 'another-client' }) }),
        extraParam: await ask({ url: tokenEndpoint, body: form({ grant_type: 'refresh_token', refresh_token: handle, client_id: clientId, redirect_uri: 'http://127.0.0.1:9/' }) }),
        otherGrant: await ask({ url: tokenEndpoint, body: form({ grant_type: 'password', username: 'a', password: 'b', client_id: clientId }) }),
        unknownHandle: await ask({ url: tokenEndpoint, body: form({ grant_type: 'refresh_token', refresh_token: 'closo-rt.guessed', client_id: clientId }) }),
        spent: await ask({ url: tokenEndpoint, body: form({ grant_type: 'refresh_token', refresh_token: handle, client_id: clientId }) }),
      };
    }, { tokenEndpoint, clientId: env.clientId });

    assert.match(outcome.handle, /^closo-rt\.[0-9a-f-]{36}$/);
    assert.deepEqual([outcome.elsewhere.status, outcome.elsewhere.body.error], [400, 'invalid_request']);
    assert.deepEqual([outcome.otherClient.status, outcome.otherClient.body.error], [400, 'invalid_client']);
    assert.deepEqual([outcome.extraParam.status, outcome.extraParam.body.error], [400, 'invalid_request']);
    assert.deepEqual([outcome.otherGrant.status, outcome.otherGrant.body.error], [400, 'invalid_request']);
    assert.deepEqual([outcome.unknownHandle.status, outcome.unknownHandle.body.error], [400, 'invalid_grant']);
    // Only the last request reached the provider: the session's own client and grant. What came
    // back to the page is a new handle, never the refresh token the provider issued.
    const seen = env.requests(since, isTokenRequest);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].body.client_id, env.clientId);
    assert.equal(outcome.spent.status, 200);
    assert.match(outcome.spent.body.refresh_token, /^closo-rt\./);
    const issued = env.provider.issuedRefreshTokens.slice(issuedBefore);
    assert.equal(issued.length, 2);
    const everything = JSON.stringify(outcome) + JSON.stringify(await page.evaluate(() => window.__fromWorker));
    for (const refreshToken of issued) assert.ok(!everything.includes(refreshToken));
  });

  it('ignores a forged renewal on the tabs\' channel', async () => {
    const page = await env.newPage();
    await page.addInitScript((clientId) => {
      // Listens on the channel the element speaks on, as any script of the origin can.
      window.__heard = [];
      new BroadcastChannel(`closo-login:${clientId}`).onmessage = (event) => window.__heard.push(event.data);
    }, env.clientId);
    const token = await logIn(page, `${env.origin}/fixtures/memory.html`);
    const since = env.mark();
    await page.evaluate((clientId) => {
      const login = window.__heard.find((message) => message.type === 'login');
      const session = { accessToken: 'forged', tokenType: 'Bearer', expiresAt: Date.now() + 3600e3, scope: 'openid', audience: null, idToken: 'x', claims: {}, refreshToken: 'closo-rt.forged', sessionId: login.sessionId, generation: 7 };
      new BroadcastChannel(`closo-login:${clientId}`).postMessage({ ...login, type: 'renewed', generation: 7, session });
    }, env.clientId);
    await env.expectQuiet(page, { ms: 500, events: ['token', 'logout'] });
    const after = await page.locator('closo-login').evaluate(async (el) => ({ property: el.accessToken, fresh: await el.getAccessToken() }));
    assert.deepEqual(after, { property: token.detail.accessToken, fresh: token.detail.accessToken });
    assert.equal(env.requests(since).length, 0);
  });
});

describe('in worker mode, the session works as in the page', () => {
  it('renews DPoP-bound tokens: the refresh token stays bound to the page\'s key, and the API accepts the renewed token', async () => {
    const { page, tokens, since, issued } = await logInAndRenew('memory-dpop.html', 1);
    assert.equal(await page.locator('closo-login').evaluate((el) => el.tokenIsolation), 'worker');
    assert.deepEqual(tokens.map((event) => event.detail.tokenType), ['DPoP', 'DPoP']);
    const [first, renewed] = tokens.map((event) => jwtClaims(event.detail.accessToken).cnf?.jkt);
    assert.ok(first);
    assert.equal(renewed, first);
    assert.deepEqual(env.requests(since, isRefreshRequest).map((request) => request.body.refresh_token), issued.slice(0, 1));
    const answer = await fetchThroughElement(page, `${env.origin}/api/claims`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.scheme, 'DPoP');
  });

  it('revokes the refresh token the provider issued on logout, and forgets it', async () => {
    const page = await env.newPage();
    const issuedBefore = env.provider.issuedRefreshTokens.length;
    await logIn(page, `${env.origin}/fixtures/memory.html`);
    const [refreshToken] = env.provider.issuedRefreshTokens.slice(issuedBefore);
    const since = env.mark();
    await page.locator('closo-login').evaluate((el) => el.logout({ localOnly: true }));
    const revoke = env.requests(since).find((request) => request.path === '/oauth/revoke');
    assert.equal(revoke.body.token, refreshToken);
    assert.equal(revoke.body.client_id, env.clientId);
    const reuse = await env.postTokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: env.clientId });
    assert.equal((await reuse.json()).error, 'invalid_grant');
    assert.equal(await page.locator('closo-login').evaluate((el) => el.tokenIsolation), null);
  });

  it('ends the session with login_required when the provider refuses the refresh token (invalid_grant)', async () => {
    const page = await env.newPage();
    const issuedBefore = env.provider.issuedRefreshTokens.length;
    await logIn(page, `${env.origin}/fixtures/memory.html`);
    const [refreshToken] = env.provider.issuedRefreshTokens.slice(issuedBefore);
    // Someone with the token (here: the test, from the provider's log) spends it first.
    assert.equal((await env.postTokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: env.clientId })).status, 200);
    const since = env.mark();
    const outcome = await page.locator('closo-login').evaluate((el) => el.getAccessToken({ minValidity: 7200 }).then(() => 'resolved', (error) => error.code));
    assert.equal(outcome, 'login_required');
    assert.equal(env.requests(since, isRefreshRequest).length, 1);
    const logout = (await events(page)).filter((event) => event.type === 'logout');
    assert.deepEqual(logout.map((event) => event.detail.reason), ['session_ended']);
    assert.equal(await page.locator('closo-login').evaluate((el) => el.authenticated), false);
  });
});

describe('from a CDN', () => {
  const dist = new URL('../../dist/', import.meta.url);
  const workerFile = readdirSync(dist).find((name) => /^closo-login-token-worker-.+\.min\.js$/.test(name));

  /** A page for cdn/cdn.html, whose CDN serves dist/ with CORS; `tamper` changes the worker file it serves. */
  async function cdnPage({ tamper = (code) => code } = {}) {
    const page = await env.newPage();
    const served = [];
    await page.route('https://cdn.example/closo-login/dist/*', async (route) => {
      const name = new URL(route.request().url()).pathname.split('/').at(-1);
      served.push(name);
      const code = readFileSync(new URL(name, dist), 'utf8');
      await route.fulfill({
        body: name === workerFile ? tamper(code) : code,
        headers: { 'content-type': 'text/javascript; charset=utf-8', 'access-control-allow-origin': '*' },
      });
    });
    const warnings = [];
    page.on('console', (message) => { if (message.type() === 'warning') warnings.push(message.text()); });
    return { page, served, warnings };
  }

  it('starts the worker from a blob: URL, checked against the build\'s integrity, and keeps the refresh token there', async () => {
    env.provider.settings.accessTokenTTL = 4;
    const { page, served, warnings } = await cdnPage();
    const issuedBefore = env.provider.issuedRefreshTokens.length;
    const since = env.mark();
    await logIn(page, `${env.origin}/cdn/cdn.html`);
    await waitForEvents(page, 'token', 2);
    assert.equal(await page.locator('closo-login').evaluate((el) => el.tokenIsolation), 'worker');
    assert.deepEqual(warnings.filter((text) => text.includes('closo-login')), []);
    assert.ok(served.includes(workerFile), 'the worker came from the CDN');
    const issued = env.provider.issuedRefreshTokens.slice(issuedBefore);
    assert.deepEqual(env.requests(since, isRefreshRequest).map((request) => request.body.refresh_token), issued.slice(0, 1));
    const heap = await heapSnapshot(page);
    for (const refreshToken of issued) assert.ok(!heap.includes(refreshToken), 'a refresh token is in the page\'s heap');
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  });

  it('does not run a worker file the CDN changed: the refresh token stays in the page, with one warning', async () => {
    const { page, warnings } = await cdnPage({ tamper: (code) => `${code}\nself.addEventListener('message', () => {});` });
    await logIn(page, `${env.origin}/cdn/cdn.html`);
    assert.equal(await page.locator('closo-login').evaluate((el) => el.tokenIsolation), 'page');
    const ours = warnings.filter((text) => text.startsWith('closo-login: refresh tokens are kept in the page, not in a worker:'));
    assert.equal(ours.length, 1);
    assert.match(ours[0], /integrity/);
  });
});
