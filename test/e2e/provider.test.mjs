// The local Auth0-like tenant itself, driven directly (no element): what real Auth0 apps use
// beyond one token. Several APIs and the Multi-Resource Refresh Token (MRRT) policy,
// Organizations (and invitations), step-up / MFA (acr, auth_time), and the demo API routes
// that demand a step-up or belong to the second API.
// Each login is a real one: the authorization request is built here (PKCE S256, state,
// nonce), Chromium fills the provider's login form, and the code is redeemed from Node.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import {
  ACR_MFA, ACR_MFA_AUTH0, ACR_PWD, DEFAULT_AUDIENCE, ORGANIZATIONS, OUTSIDE_POLICY_AUDIENCE, SECOND_AUDIENCE,
} from '../../demo/servers/provider.mjs';
import { isAuthorizeRequest, jwtClaims, logInAtProvider, useStack } from './harness.mjs';

const env = useStack();
const SCOPE = 'openid profile email offline_access';
const [ACME, GLOBEX] = ORGANIZATIONS;

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
const sha256 = (value) => createHash('sha256').update(value).digest('base64url');
let jwks;
const keys = () => (jwks ??= createRemoteJWKSet(new URL('.well-known/jwks.json', env.issuer)));

/** An ID token checked as a client checks it: signature, iss, aud; its claims. */
async function idTokenClaims(idToken) {
  const { payload } = await jwtVerify(idToken, keys(), { issuer: env.issuer, audience: env.clientId, algorithms: ['RS256'] });
  return payload;
}

/** A JWT access token checked as an API checks it (signature, iss, aud, typ): header and claims. */
async function accessToken(token, audience) {
  const { payload, protectedHeader } = await jwtVerify(token, keys(), { issuer: env.issuer, audience, algorithms: ['RS256'] });
  return { header: protectedHeader, claims: payload };
}

const redirectUri = () => `${env.origin}/callback`;

/**
 * Sends an authorization request from `page` (a fresh browser context unless given) and
 * returns where it ends: at the login form (`atLoginForm`) or back at the redirect URI with
 * its parameters. The redirect URI is answered by a stub, so nothing but this test reads the code.
 */
async function authorize(params = {}, page) {
  page ??= await env.newPage();
  const verifier = b64url(randomBytes(32));
  const request = {
    client_id: env.clientId,
    response_type: 'code',
    redirect_uri: redirectUri(),
    scope: SCOPE,
    code_challenge: sha256(verifier),
    code_challenge_method: 'S256',
    state: b64url(randomBytes(16)),
    nonce: b64url(randomBytes(16)),
    ...params,
  };
  for (const [name, value] of Object.entries(request)) if (value === undefined) delete request[name];
  if (!page.stubbedCallback) {
    await page.route((url) => url.href.startsWith(`${redirectUri()}?`), (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Callback</title><p>Back at the app.</p>' }));
    page.stubbedCallback = true;
  }
  await page.goto(`${env.issuer}authorize?${new URLSearchParams(request)}`);
  const flow = { page, request, verifier };
  const back = () => {
    const url = new URL(page.url());
    assert.ok(url.href.startsWith(`${redirectUri()}?`), `expected the redirect back, at ${url.href}`);
    const response = Object.fromEntries(url.searchParams);
    assert.equal(response.state, request.state);
    return { ...flow, response };
  };
  if (/\/u\/login\//.test(page.url())) {
    return {
      ...flow,
      atLoginForm: true,
      /** Fills the form and follows the redirect back. */
      async logIn() {
        await logInAtProvider(page);
        await page.waitForURL((url) => url.href.startsWith(`${redirectUri()}?`));
        return back();
      },
    };
  }
  return back();
}

/** Redeems the code of an authorization response from Node; the token response JSON. */
async function redeem({ response, verifier }, headers = {}) {
  assert.ok(response.code, `no code: ${JSON.stringify(response)}`);
  const answer = await env.postTokenRequest({
    grant_type: 'authorization_code', code: response.code, redirect_uri: redirectUri(), code_verifier: verifier, client_id: env.clientId,
  }, headers);
  const body = await answer.json();
  assert.equal(answer.status, 200, JSON.stringify(body));
  return body;
}

/** A full login with the form in a fresh context: the tokens, and the page (its provider session). */
async function login(params = {}) {
  const started = await authorize(params);
  assert.ok(started.atLoginForm, 'a fresh browser meets the login form');
  const flow = await started.logIn();
  return { ...flow, tokens: await redeem(flow) };
}

/** A refresh_token grant, as a form body or (json: true) a JSON body like Auth0 accepts. */
async function refresh(refreshToken, params = {}, { json = false } = {}) {
  const request = { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: env.clientId, ...params };
  const answer = json
    ? await fetch(`${env.issuer}oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) })
    : await env.postTokenRequest(request);
  return { status: answer.status, body: await answer.json() };
}

async function refreshed(refreshToken, params, options) {
  const { status, body } = await refresh(refreshToken, params, options);
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

/** A call to the demo API from Node. */
async function callApi(path, authorization, headers = {}) {
  const answer = await fetch(`${env.origin}${path}`, { headers: { ...(authorization ? { authorization } : {}), ...headers } });
  return { status: answer.status, challenge: answer.headers.get('www-authenticate'), type: answer.headers.get('content-type'), body: await answer.json() };
}

const scopes = (token) => new Set(String(jwtClaims(token).scope).split(' '));

describe('several APIs and the MRRT policy', () => {
  it('a refresh with the audience of a policy API gets a token for it, rotates, and a spent refresh token stays spent', async () => {
    const { tokens } = await login({ audience: DEFAULT_AUDIENCE });
    const first = await accessToken(tokens.access_token, DEFAULT_AUDIENCE);
    assert.deepEqual(first.claims.aud, [DEFAULT_AUDIENCE, `${env.issuer}userinfo`]);
    // The login's own token is as before: no scope of the other API.
    assert.ok(!scopes(tokens.access_token).has('read:reports'));

    const second = await refreshed(tokens.refresh_token, { audience: SECOND_AUDIENCE, scope: 'openid profile read:reports' });
    const { header, claims } = await accessToken(second.access_token, SECOND_AUDIENCE);
    assert.equal(header.typ, 'JWT');
    assert.deepEqual(claims.aud, [SECOND_AUDIENCE, `${env.issuer}userinfo`]);
    assert.equal(claims.azp, env.clientId);
    assert.equal(claims.client_id, undefined);
    assert.deepEqual(claims.scope.split(' ').sort(), ['openid', 'profile', 'read:reports']);
    assert.equal(second.token_type.toLowerCase(), 'bearer');
    assert.equal(second.scope, claims.scope);
    assert.ok(second.expires_in > 0);
    // Rotated, with an ID token as on every refresh.
    assert.ok(second.refresh_token && second.refresh_token !== tokens.refresh_token);
    const idClaims = await idTokenClaims(second.id_token);
    assert.equal(idClaims.sub, first.claims.sub);

    // The second API accepts it; the first API does not, and the second refuses the first's token.
    const reports = await callApi('/api2/reports', `Bearer ${second.access_token}`);
    assert.equal(reports.status, 200, JSON.stringify(reports.body));
    assert.deepEqual(reports.body.claims.aud, [SECOND_AUDIENCE, `${env.issuer}userinfo`]);
    assert.equal((await callApi('/api/claims', `Bearer ${second.access_token}`)).status, 401);
    const wrongApi = await callApi('/api2/reports', `Bearer ${tokens.access_token}`);
    assert.equal(wrongApi.status, 401);
    assert.equal(wrongApi.body.error, 'invalid_token');
    assert.equal((await callApi('/api/claims', `Bearer ${tokens.access_token}`)).status, 200);

    // The spent refresh token is refused (reuse detection), and the grant dies with it.
    const reuse = await refresh(tokens.refresh_token, { audience: SECOND_AUDIENCE });
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
    assert.equal((await refresh(second.refresh_token)).body.error, 'invalid_grant');
  });

  it('takes a JSON body too; without scope the token has the API\'s policy scopes; without audience a refresh is as before', async () => {
    const { tokens } = await login({ audience: DEFAULT_AUDIENCE, scope: `${SCOPE} read:messages` });
    assert.deepEqual([...scopes(tokens.access_token)].sort(), ['email', 'offline_access', 'openid', 'profile', 'read:messages']);

    const second = await refreshed(tokens.refresh_token, { audience: SECOND_AUDIENCE }, { json: true });
    const { claims } = await accessToken(second.access_token, SECOND_AUDIENCE);
    assert.deepEqual(claims.scope.split(' ').sort(), ['email', 'offline_access', 'openid', 'profile', 'read:reports']);

    // Back to the login's API, without audience: exactly what a plain refresh gave before.
    const plain = await refreshed(second.refresh_token, {});
    const back = await accessToken(plain.access_token, DEFAULT_AUDIENCE);
    assert.deepEqual(back.claims.aud, [DEFAULT_AUDIENCE, `${env.issuer}userinfo`]);
    assert.equal(back.claims.scope, jwtClaims(tokens.access_token).scope);
    assert.equal(plain.scope, tokens.scope);
    // And the default API by name, also in the policy.
    const byName = await refreshed(plain.refresh_token, { audience: DEFAULT_AUDIENCE, scope: 'openid read:messages' });
    assert.equal((await accessToken(byName.access_token, DEFAULT_AUDIENCE)).claims.scope, 'openid read:messages');
  });

  it('drops the asked scopes the policy does not allow for that API, with no error', async () => {
    const { tokens } = await login({ audience: DEFAULT_AUDIENCE });
    const second = await refreshed(tokens.refresh_token, { audience: SECOND_AUDIENCE, scope: 'openid read:reports read:invoices write:reports' });
    assert.equal((await accessToken(second.access_token, SECOND_AUDIENCE)).claims.scope, 'openid read:reports');
  });

  it('an audience outside the policy, or unknown, is silently ignored: the token is for the login\'s audience', async () => {
    const { tokens } = await login({ audience: DEFAULT_AUDIENCE });
    let refreshToken = tokens.refresh_token;
    for (const [audience, options] of [[OUTSIDE_POLICY_AUDIENCE, {}], ['https://unknown.thecloso.com', {}], [OUTSIDE_POLICY_AUDIENCE, { json: true }]]) {
      const answer = await refreshed(refreshToken, { audience, scope: 'openid profile read:invoices' }, options);
      const { claims } = await accessToken(answer.access_token, DEFAULT_AUDIENCE);
      assert.deepEqual(claims.aud, [DEFAULT_AUDIENCE, `${env.issuer}userinfo`], audience);
      assert.equal(claims.scope, 'openid profile');
      assert.ok(answer.id_token);
      assert.notEqual(answer.refresh_token, refreshToken);
      refreshToken = answer.refresh_token;
    }

    // A login for the second API falls back to the second API.
    const other = await login({ audience: SECOND_AUDIENCE });
    assert.deepEqual(jwtClaims(other.tokens.access_token).aud, [SECOND_AUDIENCE, `${env.issuer}userinfo`]);
    const fallback = await refreshed(other.tokens.refresh_token, { audience: OUTSIDE_POLICY_AUDIENCE });
    assert.deepEqual(jwtClaims(fallback.access_token).aud, [SECOND_AUDIENCE, `${env.issuer}userinfo`]);
    // ...and its refresh token reaches the default API, in the policy too.
    const toDefault = await refreshed(fallback.refresh_token, { audience: DEFAULT_AUDIENCE, scope: 'openid read:messages' });
    assert.equal((await accessToken(toDefault.access_token, DEFAULT_AUDIENCE)).claims.scope, 'openid read:messages');
  });

  it('a login without audience: refresh as before (a token for /userinfo), MRRT to a policy API, the default API for one outside it', async () => {
    const { tokens } = await login({});
    assert.equal(tokens.access_token.split('.').length, 1, 'an opaque token, as before');
    const plain = await refreshed(tokens.refresh_token, {});
    assert.equal(plain.access_token.split('.').length, 1);
    assert.equal(plain.scope, tokens.scope);
    const userinfo = await fetch(`${env.issuer}userinfo`, { headers: { authorization: `Bearer ${plain.access_token}` } });
    assert.equal(userinfo.status, 200);

    const second = await refreshed(plain.refresh_token, { audience: SECOND_AUDIENCE, scope: 'openid read:reports' });
    assert.equal((await accessToken(second.access_token, SECOND_AUDIENCE)).claims.scope, 'openid read:reports');
    const outside = await refreshed(second.refresh_token, { audience: OUTSIDE_POLICY_AUDIENCE });
    assert.deepEqual((await accessToken(outside.access_token, DEFAULT_AUDIENCE)).claims.aud, [DEFAULT_AUDIENCE, `${env.issuer}userinfo`]);
  });

  it('the outside-policy API is still a known API to log in for', async () => {
    const { tokens } = await login({ audience: OUTSIDE_POLICY_AUDIENCE, scope: `${SCOPE} read:invoices` });
    const { claims } = await accessToken(tokens.access_token, OUTSIDE_POLICY_AUDIENCE);
    assert.ok(claims.scope.split(' ').includes('read:invoices'));
  });
});

describe('Organizations', () => {
  it('organization by id: org_id and org_name in every ID token of the login, org_id in its access tokens', async () => {
    const { tokens } = await login({ audience: DEFAULT_AUDIENCE, organization: ACME.id });
    const id = await idTokenClaims(tokens.id_token);
    assert.equal(id.org_id, ACME.id);
    assert.equal(id.org_name, 'acme');
    assert.equal(jwtClaims(tokens.access_token).org_id, ACME.id);
    assert.equal(jwtClaims(tokens.access_token).org_name, undefined);

    const renewed = await refreshed(tokens.refresh_token, {});
    assert.deepEqual(pick(await idTokenClaims(renewed.id_token), 'org_id', 'org_name'), { org_id: ACME.id, org_name: 'acme' });
    assert.equal(jwtClaims(renewed.access_token).org_id, ACME.id);
    const second = await refreshed(renewed.refresh_token, { audience: SECOND_AUDIENCE }, { json: true });
    assert.deepEqual(pick(await idTokenClaims(second.id_token), 'org_id', 'org_name'), { org_id: ACME.id, org_name: 'acme' });
    assert.equal(jwtClaims(second.access_token).org_id, ACME.id);

    // /userinfo says nothing of it (ID tokens carry it).
    const userinfo = await (await fetch(`${env.issuer}userinfo`, { headers: { authorization: `Bearer ${second.access_token}` } })).json();
    assert.equal(userinfo.org_id, undefined);
  });

  it('organization by name in any case, with an invitation: the invitation is recorded, the name is lower-case', async () => {
    const since = env.mark();
    const { tokens } = await login({ audience: DEFAULT_AUDIENCE, organization: 'GloBex', invitation: 'inv_Q2xvc28' });
    const id = await idTokenClaims(tokens.id_token);
    assert.equal(id.org_id, GLOBEX.id);
    assert.equal(id.org_name, 'globex');
    const [authorizeRequest] = env.requests(since, isAuthorizeRequest);
    assert.equal(authorizeRequest.params.invitation, 'inv_Q2xvc28');
    assert.equal(authorizeRequest.params.organization, 'GloBex');
    const renewed = await refreshed(tokens.refresh_token, {});
    assert.equal((await idTokenClaims(renewed.id_token)).org_name, 'globex');
  });

  it('an unknown organization is refused with access_denied naming it, before any login form', async () => {
    const { response, atLoginForm } = await authorize({ organization: 'org_doesnotexist' });
    assert.equal(atLoginForm, undefined);
    assert.equal(response.error, 'access_denied');
    assert.match(response.error_description, /org_doesnotexist/);
    assert.equal(response.code, undefined);
  });

  it('an invitation without its organization is an invalid request', async () => {
    const { response } = await authorize({ invitation: 'inv_alone' });
    assert.equal(response.error, 'invalid_request');
    assert.match(response.error_description, /organization/);
  });

  it('a login without organization has no org claims; the same session can log into an organization', async () => {
    const { tokens, page } = await login({ audience: DEFAULT_AUDIENCE });
    const id = await idTokenClaims(tokens.id_token);
    assert.equal(id.org_id, undefined);
    assert.equal(id.org_name, undefined);
    assert.equal(jwtClaims(tokens.access_token).org_id, undefined);
    // Within the provider session (no form), a login into an organization is that login's.
    const sso = await authorize({ audience: DEFAULT_AUDIENCE, organization: ACME.name }, page);
    assert.equal(sso.atLoginForm, undefined);
    const again = await redeem(sso);
    assert.equal((await idTokenClaims(again.id_token)).org_id, ACME.id);
    // ...and the first login's refresh tokens stay without it.
    assert.equal((await idTokenClaims((await refreshed(tokens.refresh_token, {})).id_token)).org_id, undefined);
  });
});

describe('step-up and MFA: acr and auth_time', () => {
  it('a password login: acr pwd and auth_time in every ID token, acr in the access tokens', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { tokens } = await login({ audience: DEFAULT_AUDIENCE });
    const id = await idTokenClaims(tokens.id_token);
    assert.equal(id.acr, ACR_PWD);
    assert.equal(typeof id.auth_time, 'number');
    assert.ok(id.auth_time >= before - 1 && id.auth_time <= Math.ceil(Date.now() / 1000));
    assert.equal(jwtClaims(tokens.access_token).acr, ACR_PWD);
    const renewed = await refreshed(tokens.refresh_token, {});
    const renewedId = await idTokenClaims(renewed.id_token);
    assert.equal(renewedId.acr, ACR_PWD);
    assert.equal(renewedId.auth_time, id.auth_time);
    assert.equal(jwtClaims(renewed.access_token).acr, ACR_PWD);

    const discovery = await (await fetch(`${env.issuer}.well-known/openid-configuration`)).json();
    assert.deepEqual(discovery.acr_values_supported, [ACR_PWD, ACR_MFA, ACR_MFA_AUTH0]); // Auth0's MFA policy URI too (interactive-errors="popup")
  });

  it('acr_values asking for MFA shows the login form again within a session, and gives acr mfa', async () => {
    const first = await login({ audience: DEFAULT_AUDIENCE });
    const firstId = await idTokenClaims(first.tokens.id_token);
    // The session alone answers a plain request at once, with acr pwd...
    const sso = await authorize({ audience: DEFAULT_AUDIENCE }, first.page);
    assert.equal(sso.atLoginForm, undefined);
    assert.equal((await idTokenClaims((await redeem(sso)).id_token)).acr, ACR_PWD);

    // ...but not a step-up request: the form comes back (the simulated second factor).
    await new Promise((resolve) => { setTimeout(resolve, 1100); }); // a later auth_time
    const stepUp = await authorize({ audience: DEFAULT_AUDIENCE, acr_values: ACR_MFA }, first.page);
    assert.ok(stepUp.atLoginForm, 'the login form is shown again');
    assert.match(await first.page.textContent('body'), /stronger login/);
    const tokens = await redeem(await stepUp.logIn());
    const id = await idTokenClaims(tokens.id_token);
    assert.equal(id.acr, ACR_MFA);
    assert.equal(id.sub, firstId.sub);
    assert.ok(id.auth_time > firstId.auth_time, 'auth_time is the step-up login\'s');
    assert.equal(jwtClaims(tokens.access_token).acr, ACR_MFA);
    // Refreshes keep the login's level, also for the other API.
    const renewed = await refreshed(tokens.refresh_token, { audience: SECOND_AUDIENCE });
    assert.equal((await idTokenClaims(renewed.id_token)).acr, ACR_MFA);
    assert.equal(jwtClaims(renewed.access_token).acr, ACR_MFA);

    // MFA counts for the interaction it was done in: a later request without the form is pwd,
    // and a silent step-up request cannot be answered without it.
    const later = await authorize({ audience: DEFAULT_AUDIENCE }, first.page);
    assert.equal(later.atLoginForm, undefined);
    assert.equal((await idTokenClaims((await redeem(later)).id_token)).acr, ACR_PWD);
    const silent = await authorize({ audience: DEFAULT_AUDIENCE, acr_values: ACR_MFA, prompt: 'none' }, first.page);
    assert.equal(silent.response.error, 'login_required');
  });

  it('a first login asking for MFA gets acr mfa from the one form', async () => {
    const { tokens } = await login({ audience: DEFAULT_AUDIENCE, acr_values: `${ACR_MFA} ${ACR_PWD}` });
    assert.equal((await idTokenClaims(tokens.id_token)).acr, ACR_MFA);
    assert.equal(jwtClaims(tokens.access_token).acr, ACR_MFA);
  });
});

describe('the demo API', () => {
  const CHALLENGE = 'error="insufficient_user_authentication", error_description="A stronger login is required", acr_values="urn:closo:loa:mfa"';

  it('/api/sensitive asks a password-level token for a step-up (RFC 9470), and accepts an MFA one', async () => {
    const { tokens, page } = await login({ audience: DEFAULT_AUDIENCE });
    const weak = await callApi('/api/sensitive', `Bearer ${tokens.access_token}`);
    assert.equal(weak.status, 401);
    assert.equal(weak.challenge, `Bearer ${CHALLENGE}`);
    assert.match(weak.type, /^application\/json/);
    assert.deepEqual(weak.body, { error: 'insufficient_user_authentication', error_description: 'A stronger login is required', acr_values: ACR_MFA });
    // The token itself is good elsewhere.
    assert.equal((await callApi('/api/claims', `Bearer ${tokens.access_token}`)).status, 200);
    // No token, or a broken one: as /api/claims answers.
    assert.equal((await callApi('/api/sensitive')).body.error, 'invalid_request');
    assert.equal((await callApi('/api/sensitive', `Bearer ${tokens.access_token}x`)).body.error, 'invalid_token');

    const stepUp = await authorize({ audience: DEFAULT_AUDIENCE, acr_values: ACR_MFA }, page);
    const strong = await redeem(await stepUp.logIn());
    const ok = await callApi('/api/sensitive', `Bearer ${strong.access_token}`);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.claims.acr, ACR_MFA);
    assert.equal(ok.body.claims.sub, jwtClaims(strong.access_token).sub);
    // A token for the second API is not for this one, MFA or not.
    const second = await refreshed(strong.refresh_token, { audience: SECOND_AUDIENCE });
    assert.equal((await callApi('/api/sensitive', `Bearer ${second.access_token}`)).body.error, 'invalid_token');
    assert.equal((await callApi('/api2/reports', `Bearer ${second.access_token}`)).status, 200);
  });

  it('challenges a DPoP-bound token with the DPoP scheme', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const proof = (htm, htu, claims = {}) => new SignJWT({ htm, htu, jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).setIssuedAt().sign(privateKey);
    const started = await authorize({ audience: DEFAULT_AUDIENCE });
    const flow = await started.logIn();
    const tokens = await redeem(flow, { dpop: await proof('POST', `${env.issuer}oauth/token`) });
    assert.equal(tokens.token_type, 'DPoP');
    const url = `${env.origin}/api/sensitive`;
    const answer = await callApi('/api/sensitive', `DPoP ${tokens.access_token}`, {
      dpop: await proof('GET', url, { ath: sha256(tokens.access_token) }),
    });
    assert.equal(answer.status, 401);
    assert.equal(answer.challenge, `DPoP ${CHALLENGE}`);
    assert.equal(answer.body.error, 'insufficient_user_authentication');
  });
});

function pick(object, ...names) {
  return Object.fromEntries(names.map((name) => [name, object[name]]));
}
