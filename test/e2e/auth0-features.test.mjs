// What real Auth0 apps need beyond one token (docs/auth0.md), against the local Auth0-like
// tenant: tokens for several APIs (Multi-Resource Refresh Token), Organizations and
// invitations, step-up and MFA, and app state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ACR_MFA, ACR_MFA_AUTH0, ORGANIZATIONS, OUTSIDE_POLICY_AUDIENCE, SECOND_AUDIENCE } from '../../demo/servers/provider.mjs';
import { events, isAuthorizeRequest, isRefreshRequest, isTokenRequest, jwtClaims, logIn, logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const env = useStack({}, { '/examples/': fileURLToPath(new URL('../../docs/examples/', import.meta.url)) });
/** Runs `name` from the docs' example module `file` in the page, on the element. */
const example = (page, file, name, ...args) => page.evaluate(async ([f, n, a]) => (await import(`/examples/${f}`))[n](document.querySelector('closo-login'), ...a), [file, name, args]);
const [ACME] = ORGANIZATIONS;
const element = (page) => page.locator('closo-login');
/** Calls `method` on the element with `args`; resolves with its value, or `{ error: { code, message, stepUp } }`. */
const call = (page, method, ...args) => element(page).evaluate(async (el, [name, list]) => {
  try {
    const value = await el[name](...list);
    return value instanceof Response ? { status: value.status, body: await value.json() } : value;
  } catch (error) {
    return { error: { code: error.code, message: error.message, stepUp: error.stepUp } };
  }
}, [method, args]);

describe('tokens for several APIs', () => {
  it('gets a token for a second API with the refresh token, hands it out while valid, and the second API accepts it', async () => {
    const page = await env.newPage();
    const own = await logIn(page, `${env.origin}/fixtures/memory.html`);
    const since = env.mark();
    const token = await call(page, 'getAccessToken', { audience: SECOND_AUDIENCE, scope: 'read:reports' });
    const claims = jwtClaims(token);
    assert.ok([claims.aud].flat().includes(SECOND_AUDIENCE), `aud ${JSON.stringify(claims.aud)}`);
    const [refresh, ...more] = env.requests(since, isRefreshRequest);
    assert.equal(more.length, 0);
    assert.equal(refresh.body.audience, SECOND_AUDIENCE);
    assert.equal(await call(page, 'getAccessToken', { audience: SECOND_AUDIENCE, scope: 'read:reports' }), token, 'kept while valid');
    const report = await example(page, 'several-apis.js', 'reports'); // docs/examples/several-apis.js
    assert.ok([report.claims?.aud].flat().includes(SECOND_AUDIENCE), JSON.stringify(report));
    assert.equal((await call(page, 'fetch', '/api2/reports')).status, 401, 'the element\'s own token is not for the second API');
    assert.equal(env.requests(since, isRefreshRequest).length, 1, 'one refresh for all of that');
    assert.equal(await call(page, 'getAccessToken'), own.detail.accessToken, 'the element\'s own token is unchanged');
    assert.equal((await events(page)).filter((e) => e.type === 'token').length, 1, 'no token event for another API');
  });

  it('without a refresh token, gets the second API\'s token with a silent sign-in that asks for it, as OpenID Connect', async () => {
    const page = await env.newPage();
    const own = await logIn(page, `${env.origin}/fixtures/silent-renewal.html`);
    const since = env.mark();
    const token = await call(page, 'getAccessToken', { audience: SECOND_AUDIENCE, scope: 'read:reports' });
    assert.equal(typeof token, 'string', JSON.stringify(token));
    assert.ok([jwtClaims(token).aud].flat().includes(SECOND_AUDIENCE));
    const [authorize, ...more] = env.requests(since, isAuthorizeRequest);
    assert.equal(more.length, 0);
    assert.equal(authorize.params.prompt, 'none');
    assert.equal(authorize.params.audience, SECOND_AUDIENCE);
    assert.deepEqual(authorize.params.scope.split(' '), ['openid', 'profile', 'email', 'read:reports']);
    assert.equal(env.requests(since, isRefreshRequest).length, 0);
    assert.equal(await call(page, 'getAccessToken'), own.detail.accessToken, 'the element\'s own token is unchanged');
  });

  it('refuses the token Auth0 gives for an API outside the policy (its default API), with audience_mismatch', async () => {
    const page = await env.newPage();
    await logIn(page, `${env.origin}/fixtures/memory.html`);
    const result = await call(page, 'getAccessToken', { audience: OUTSIDE_POLICY_AUDIENCE });
    assert.equal(result.error?.code, 'audience_mismatch', JSON.stringify(result));
    assert.match(result.error.message, new RegExp(OUTSIDE_POLICY_AUDIENCE.replace(/[./]/g, '\\$&')));
    // The session goes on, with the refresh token that answer rotated.
    const again = await call(page, 'getAccessToken', { audience: SECOND_AUDIENCE, scope: 'read:reports' });
    assert.equal(typeof again, 'string');
    assert.equal(await element(page).evaluate((el) => el.authenticated), true);
  });

  it('two tabs asking for the second API at once send each refresh token once', async () => {
    const first = await env.newPage();
    await logIn(first, `${env.origin}/fixtures/storage-local.html`);
    const second = await env.newPage(first.context());
    await second.goto(`${env.origin}/fixtures/storage-local.html`);
    await waitForEvents(second, 'token');
    const since = env.mark();
    const [a, b] = await Promise.all([first, second].map((page) => call(page, 'getAccessToken', { audience: SECOND_AUDIENCE, scope: 'read:reports' })));
    assert.equal(typeof a, 'string', JSON.stringify(a));
    assert.equal(typeof b, 'string', JSON.stringify(b));
    const sent = env.requests(since, isRefreshRequest).map((r) => r.body.refresh_token);
    assert.equal(new Set(sent).size, sent.length, `a refresh token was sent twice: ${sent.length} refreshes`);
    for (const page of [first, second]) assert.equal((await events(page)).filter((e) => e.type === 'auth-error').length, 0);
  });
});

describe('Auth0 Organizations', () => {
  it('logs in to the organization, and its ID tokens (login and renewal) name it', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/organization.html`);
    const since = env.mark();
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    assert.equal(env.requests(since, isAuthorizeRequest)[0].params.organization, ACME.id);
    assert.equal(token.detail.claims.org_id, ACME.id);
    assert.equal(token.detail.claims.org_name, ACME.name);
    await call(page, 'getAccessToken', { minValidity: 86_400 }); // a renewal, whose ID token is checked too
    assert.equal(env.requests(since, isRefreshRequest).length, 1);
    assert.equal((await events(page)).filter((e) => e.type === 'auth-error').length, 0);
  });

  for (const [name, claims] of [['a wrong org_id', { org_id: 'org_0000000000000000' }], ['no org_id', { org_id: '__delete__' }]]) {
    it(`refuses an ID token with ${name}: id_token_invalid naming the organization claim, no token event`, async () => {
      env.provider.faults.idToken = { claims };
      const page = await env.newPage();
      await page.goto(`${env.origin}/fixtures/organization.html`);
      await page.getByRole('button', { name: 'Log in' }).click();
      await logInAtProvider(page);
      const [error] = await waitForEvents(page, 'auth-error');
      assert.equal(error.detail.code, 'id_token_invalid');
      assert.match(error.detail.message, /organization .*org_id/);
      assert.equal((await events(page)).filter((e) => e.type === 'token').length, 0);
    });
  }

  it('checks org_name, lower-cased, for an organization given by name', async () => {
    env.provider.faults.idToken = { claims: { org_name: '__delete__' } };
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/memory.html`);
    await element(page).evaluate((el) => { el.login({ organization: 'ACME' }).catch(() => {}); });
    await logInAtProvider(page);
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'id_token_invalid');
    assert.match(error.detail.message, /org_name is missing/);
  });

  it('accepts an invitation link on page load, and takes its parameters out of the address bar', async () => {
    const page = await env.newPage();
    const since = env.mark();
    await page.goto(`${env.origin}/fixtures/invitation.html?invitation=inv-123&organization=${ACME.id}&organization_name=${ACME.name}&tab=2`);
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    const [authorize] = env.requests(since, isAuthorizeRequest);
    assert.equal(authorize.params.invitation, 'inv-123');
    assert.equal(authorize.params.organization, ACME.id);
    assert.equal(token.detail.claims.org_id, ACME.id);
    assert.equal(new URL(page.url()).search, '?tab=2');
  });
});

describe('invitations accepted by login()', () => {
  it('takes the invitation link\'s parameters out of the address bar: the page comes back without them', async () => {
    const page = await env.newPage();
    const since = env.mark();
    await page.goto(`${env.origin}/fixtures/memory.html?invitation=inv-456&organization=${ACME.id}&organization_name=${ACME.name}&tab=3#top`);
    await element(page).evaluate((el) => {
      const params = new URLSearchParams(location.search);
      el.login({ invitation: params.get('invitation'), organization: params.get('organization') }).catch(() => {});
    });
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    assert.equal(env.requests(since, isAuthorizeRequest)[0].params.invitation, 'inv-456');
    assert.equal(token.detail.claims.org_id, ACME.id);
    const back = new URL(page.url());
    assert.equal(back.pathname + back.search + back.hash, '/fixtures/memory.html?tab=3#top');
  });
});

describe('step-up and MFA', () => {
  it('an API that wants a stronger login rejects el.fetch with step_up_required; a popup login with its acr_values gets it', async () => {
    const page = await env.newPage();
    await logIn(page, `${env.origin}/fixtures/memory.html`);
    const refused = await call(page, 'fetch', '/api/sensitive');
    assert.equal(refused.error?.code, 'step_up_required', JSON.stringify(refused));
    assert.deepEqual(refused.error.stepUp, { acrValues: ACR_MFA });
    // docs/examples/step-up.js: step up in a popup, then call the API again.
    const popupOpened = page.waitForEvent('popup');
    const called = page.evaluate(async () => {
      const response = await (await import('/examples/step-up.js')).callSensitive(document.querySelector('closo-login'));
      return { status: response.status, acr: (await response.json()).claims?.acr };
    });
    await logInAtProvider(await popupOpened);
    assert.deepEqual(await called, { status: 200, acr: ACR_MFA });
    assert.equal(jwtClaims(await call(page, 'getAccessToken')).acr, ACR_MFA);
  });

  it('with interactive-errors="popup", el.fetch() steps up in a popup by itself and resolves with the API\'s answer', async () => {
    const page = await env.newPage();
    await logIn(page, `${env.origin}/fixtures/step-up.html`);
    const since = env.mark();
    const popupOpened = page.waitForEvent('popup');
    // docs/examples/step-up-itself.js, from a click (a popup needs the user's gesture).
    await page.evaluate(() => {
      const button = document.body.appendChild(Object.assign(document.createElement('button'), { textContent: 'Open the sensitive page' }));
      button.addEventListener('click', () => {
        window.__sensitive = import('/examples/step-up-itself.js').then(({ openSensitive }) => openSensitive(document.querySelector('closo-login')));
      });
    });
    await page.getByRole('button', { name: 'Open the sensitive page' }).click();
    await logInAtProvider(await popupOpened);
    const answer = await page.evaluate(() => window.__sensitive);
    assert.equal(answer.claims?.acr, ACR_MFA);
    const [authorize] = env.requests(since, isAuthorizeRequest);
    assert.deepEqual([authorize.params.acr_values, authorize.params.prompt], [ACR_MFA, 'login']);
  });

  it('with interactive-errors="popup", a renewal refused with mfa_required steps up to Auth0\'s MFA policy in a popup, and getAccessToken() resolves', async () => {
    const page = await env.newPage();
    const first = await logIn(page, `${env.origin}/fixtures/step-up.html`);
    env.provider.faults.token = { status: 403, body: JSON.stringify({ error: 'mfa_required', error_description: 'Multifactor authentication required' }) };
    const since = env.mark();
    const popupOpened = page.waitForEvent('popup');
    await page.evaluate(() => {
      const button = document.body.appendChild(Object.assign(document.createElement('button'), { textContent: 'Renew' }));
      button.addEventListener('click', () => { window.__renewed = document.querySelector('closo-login').getAccessToken({ minValidity: 1e9 }); });
    });
    await page.getByRole('button', { name: 'Renew' }).click();
    const popup = await popupOpened;
    env.resetFaults(); // the provider asked once; the popup's login is answered normally
    await logInAtProvider(popup);
    const renewed = await page.evaluate(() => window.__renewed);
    assert.notEqual(renewed, first.detail.accessToken);
    assert.equal(jwtClaims(renewed).acr, ACR_MFA_AUTH0);
    assert.equal(env.requests(since, isAuthorizeRequest)[0].params.acr_values, ACR_MFA_AUTH0);
  });

  it('with interactive-errors="popup", a blocked popup (no user gesture) rejects with the error met, at once', async () => {
    const page = await env.newPage();
    await page.addInitScript(() => { window.open = () => null; }); // as a browser blocks a popup outside a gesture
    await logIn(page, `${env.origin}/fixtures/step-up.html`);
    const started = Date.now();
    assert.equal((await call(page, 'fetch', '/api/sensitive')).error?.code, 'step_up_required');
    env.provider.faults.token = { status: 403, body: JSON.stringify({ error: 'mfa_required' }) };
    assert.equal((await call(page, 'getAccessToken', { minValidity: 1e9 })).error?.code, 'mfa_required');
    assert.ok(Date.now() - started < 5000);
  });

  it('refuses an ID token whose auth_time is older than max_age, and one without the acr asked for', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/memory.html`);
    env.provider.faults.idToken = { claims: { auth_time: Math.floor(Date.now() / 1000) - 3600 } };
    await element(page).evaluate((el) => { el.login({ authorizationParams: { max_age: '60' } }).catch(() => {}); });
    await logInAtProvider(page);
    const [stale] = await waitForEvents(page, 'auth-error');
    assert.equal(stale.detail.code, 'id_token_invalid');
    assert.match(stale.detail.message, /auth_time|authentication/);
    env.resetFaults();
    env.provider.faults.idToken = { claims: { acr: 'urn:closo:loa:pwd' } };
    await element(page).evaluate((el, acr) => { el.login({ authorizationParams: { acr_values: acr } }).catch(() => {}); }, ACR_MFA);
    await logInAtProvider(page); // stepping up shows the provider's form again
    const [weak] = await waitForEvents(page, 'auth-error');
    assert.equal(weak.detail.code, 'id_token_invalid');
    assert.match(weak.detail.message, /acr/);
  });

  it('a renewal refused with mfa_required keeps the session and reports mfa_required, without retrying', async () => {
    const page = await env.newPage();
    await logIn(page, `${env.origin}/fixtures/memory.html`);
    env.provider.faults.token = { status: 403, body: JSON.stringify({ error: 'mfa_required', error_description: 'Multifactor authentication required' }) };
    const since = env.mark();
    const result = await call(page, 'getAccessToken', { minValidity: 86_400 });
    assert.equal(result.error?.code, 'mfa_required');
    assert.equal(await element(page).evaluate((el) => el.authenticated), true, 'the session is kept');
    await env.expectQuiet(page, { ms: 300, events: ['logout'], requests: isTokenRequest });
    assert.equal(env.requests(since, isTokenRequest).length, 1);
  });
});

describe('app state', () => {
  it('comes back in the token event of the login that carried it, never from the callback URL', async () => {
    const page = await env.newPage();
    // docs/examples/app-state.js, on every page load, then from the page.
    await page.addInitScript(() => {
      import('/examples/app-state.js').then(({ comeBackAfterLogin }) => comeBackAfterLogin((state) => { window.__restored = state; }));
    });
    await page.goto(`${env.origin}/fixtures/memory.html#orders/7`);
    await page.evaluate(() => import('/examples/app-state.js').then(({ logInFromHere }) => { logInFromHere(document.querySelector('closo-login')).catch(() => {}); }));
    await page.route(/\/fixtures\/memory\.html\?.*code=/, (route) => {
      // The callback arrives with a forged appState parameter beside the code.
      const url = new URL(route.request().url());
      if (url.searchParams.has('appState')) return route.continue();
      url.searchParams.set('appState', JSON.stringify({ route: 'https://evil.example/' }));
      return route.fulfill({ status: 302, headers: { location: url.href } });
    });
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    assert.deepEqual(token.detail.appState, { route: '#orders/7', draft: 42 });
    assert.deepEqual(await page.evaluate(() => window.__restored), { route: '#orders/7', draft: 42 });
    assert.equal(new URL(page.url()).search, '', 'the callback parameters left the address bar');
    // A later token event (a renewal) carries none.
    await call(page, 'getAccessToken', { minValidity: 86_400 });
    const tokens = await waitForEvents(page, 'token', 2);
    assert.equal(tokens[1].detail.appState, undefined);
  });

  it('refuses app state that is not JSON or over 16 KB with config_invalid, before any request', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/memory.html`);
    const since = env.mark();
    const result = await element(page).evaluate((el) => el.login({ appState: 'x'.repeat(17 * 1024) }).then(() => 'resolved', (e) => e.code));
    assert.equal(result, 'config_invalid');
    assert.equal(env.requests(since).length, 0);
  });
});

describe('the end of a session', () => {
  it('ends the session at its ceiling (session_expiry): warned before, then logout session_ended, no renewal, no token', async () => {
    env.provider.settings.sessionCeiling = 4;
    try {
      const page = await env.newPage();
      // docs/examples/session-end.js, set up on every page load (the element's outcomes wait for DOMContentLoaded).
      await page.addInitScript(() => {
        window.__shown = [];
        document.addEventListener('DOMContentLoaded', () => import('/examples/session-end.js').then(({ showSessionEnd }) => {
          showSessionEnd(document.querySelector('closo-login'), (text) => window.__shown.push(text));
        }));
      });
      await page.goto(`${env.origin}/fixtures/memory.html`);
      await page.getByRole('button', { name: 'Log in' }).click();
      await logInAtProvider(page);
      const [token] = await waitForEvents(page, 'token');
      const ceiling = token.detail.claims.session_expiry;
      assert.equal(ceiling, token.detail.claims.auth_time + 4);
      const since = env.mark();
      // renew-before is 2 s on this page: the warning comes 2 s before the ceiling, the end at it.
      const [expiring] = await waitForEvents(page, 'expiring');
      assert.equal(expiring.detail.expiresAt, ceiling * 1000);
      assert.equal(expiring.bubbles && expiring.composed && expiring.isCustomEvent, true);
      const [logout] = await waitForEvents(page, 'logout');
      assert.equal(logout.detail.reason, 'session_ended');
      assert.ok(Date.now() >= ceiling * 1000 - 500, 'not before the ceiling');
      assert.equal((await call(page, 'getAccessToken')).error?.code, 'login_required');
      assert.deepEqual(env.requests(since, isTokenRequest), [], 'no renewal request');
      const shown = await page.evaluate(() => window.__shown);
      assert.match(shown[0], /^Signed in until /);
      assert.match(shown[1], /^Your session ends in \d+ s: save your work\.$/);
      assert.equal(shown.at(-1), 'Your session has ended: please log in again.');
    } finally {
      env.provider.settings.sessionCeiling = null;
    }
  });

  it('warns before an access token that nothing will renew stops working (no refresh token, no silent sign-in)', async () => {
    env.provider.settings.accessTokenTTL = 4;
    try {
      const page = await env.newPage();
      await page.goto(`${env.origin}/fixtures/no-refresh.html`);
      await page.getByRole('button', { name: 'Log in' }).click();
      await logInAtProvider(page);
      const [token] = await waitForEvents(page, 'token');
      const [expiring] = await waitForEvents(page, 'expiring');
      assert.equal(expiring.detail.expiresAt, token.detail.expiresAt);
      assert.ok(expiring.at - token.at < 4000, 'before the token expired');
    } finally {
      env.provider.settings.accessTokenTTL = 3600;
    }
  });
});
