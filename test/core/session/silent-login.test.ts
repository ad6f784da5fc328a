import { expect } from '@esm-bundle/chai';
import { resolveConfig } from '../../../src/core/config.js';
import { clearDiscoveryCache } from '../../../src/core/session/provider.js';
import { silentLogin } from '../../../src/core/session/silent-login.js';
import { rejection } from '../../support/assertions.js';
import { CLIENT_ID, clearClosoStorage, fakeFetch, json, metadata, tokenResponse, type SeenRequest } from '../../support/responses.js';

// The provider runs on this test server under another origin (127.0.0.1 next to the page's
// localhost: loopback http, as for a development issuer), so that its authorization endpoint and
// the redirect URI are pages the frame really loads, the first one cross-origin. The test plays
// the provider by sending the frame on to the redirect URI with an answer; the provider's other
// endpoints go through the fetch seam.
const PAGE_PATH = '/test/support/blank.html';
const ISSUER = `http://127.0.0.1:${location.port}/`;
const AUTHORIZE = `${ISSUER.slice(0, -1)}${PAGE_PATH}`;
const REDIRECT_URI = `${location.origin}${PAGE_PATH}`;
const TOKEN_ENDPOINT = `${ISSUER}oauth/token`;
/** The wait when the test answers: short, yet long enough for the pages to load on a busy machine. */
const ANSWER_MS = 4000;
const config = resolveConfig({ issuer: ISSUER, clientId: CLIENT_ID, redirectUri: REDIRECT_URI }, location);

/** The provider: discovery, and a token endpoint that redeems the code `good` for the nonce of the request it saw. */
function provider() {
  let nonce = '';
  const network = fakeFetch({
    [`${ISSUER}.well-known/openid-configuration`]: () => json({
      ...metadata, // its jwks_uri: https, served by fakeFetch
      issuer: ISSUER,
      authorization_endpoint: AUTHORIZE,
      token_endpoint: TOKEN_ENDPOINT,
    }),
    [TOKEN_ENDPOINT]: (request: SeenRequest) =>
      (request.body?.get('code') === 'good' ? tokenResponse(nonce, {}, { iss: ISSUER }) : json({ error: 'invalid_grant' }, 400)),
  });
  const tokenRequests = () => network.seen.filter((r) => r.url === TOKEN_ENDPOINT);
  return { network, tokenRequests, setNonce: (value: string) => { nonce = value; } };
}

const frames = () => [...document.querySelectorAll('iframe')];

/** The silent sign-in frame once it has loaded the authorization request (on the provider's origin: read from its src), and that request. */
function authorizationFrame(): Promise<{ frame: HTMLIFrameElement; request: URL }> {
  return new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      const frame = frames()[0];
      if (!frame) return;
      observer.disconnect();
      frame.addEventListener('load', () => resolve({ frame, request: new URL(frame.src) }), { once: true });
    });
    observer.observe(document.body, { childList: true, subtree: true });
  });
}

/** The provider's answer: the frame goes on to `url`, as a redirect from the provider would send it. */
const answer = (frame: HTMLIFrameElement, url: string) => frame.contentWindow!.location.replace(url);
const responseUrl = (params: Record<string, string>, base = REDIRECT_URI) => `${base}?${new URLSearchParams(params)}`;

describe('silentLogin', () => {
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });
  afterEach(() => {
    for (const frame of frames()) frame.remove();
    clearClosoStorage();
    clearDiscoveryCache();
  });

  it('sends prompt=none in a hidden frame, completes the login with the answer on the redirect URI, and removes the frame', async () => {
    const tenant = provider();
    const arrived = authorizationFrame();
    const result = silentLogin(config, tenant.network, ANSWER_MS);
    result.catch(() => {});
    const { frame, request } = await arrived;

    expect(frame.hidden).to.equal(true);
    expect(frame.getAttribute('aria-hidden')).to.equal('true');
    expect(frame.title).to.equal('Silent sign-in');
    expect(request.origin + request.pathname).to.equal(AUTHORIZE);
    const params = Object.fromEntries(request.searchParams);
    expect(params).to.include({ prompt: 'none', response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, code_challenge_method: 'S256' });
    expect(params.state).to.be.a('string');
    tenant.setNonce(params.nonce!);
    expect(Object.keys(sessionStorage).filter((key) => key.includes(':login:')), 'the pending login stays in memory').to.deep.equal([]);

    answer(frame, responseUrl({ code: 'good', state: params.state!, iss: ISSUER }));
    const tokens = await result;
    expect(tokens.claims.iss).to.equal(ISSUER);
    expect(tokens.refreshToken).to.equal('rt-1');
    const [exchange, ...more] = tenant.tokenRequests();
    expect(more).to.have.length(0);
    expect(exchange!.body!.get('code')).to.equal('good');
    expect(exchange!.body!.get('redirect_uri')).to.equal(REDIRECT_URI);
    expect(frame.isConnected, 'frame removed').to.equal(false);
    expect(frames()).to.have.length(0);
  });

  it('ends in login_required within 2 s, not at the timeout, when the frame stays on a provider page (a login form, a refused frame)', async () => {
    const tenant = provider();
    const arrived = authorizationFrame();
    const result = silentLogin(config, tenant.network, 60_000);
    result.catch(() => {});
    const { frame } = await arrived; // the provider's page stays (a login form: prompt=none not honoured)
    const loaded = Date.now();
    expect(frame.isConnected).to.equal(true);
    expect(() => frame.contentWindow!.location.href, 'the provider\'s page is cross-origin').to.throw(DOMException);
    const error = await rejection(result);
    expect(error.code).to.equal('login_required');
    expect(error.message).to.contain('refused to be framed');
    expect(Date.now() - loaded, 'long before the 60 s timeout').to.be.below(10_000);
    expect(frame.isConnected, 'frame removed').to.equal(false);
    expect(tenant.tokenRequests()).to.have.length(0);
  });

  it('ignores a response that does not land on the redirect URI', async () => {
    const tenant = provider();
    const arrived = authorizationFrame();
    const result = silentLogin(config, tenant.network, 60_000);
    result.catch(() => {});
    const { frame, request } = await arrived;
    tenant.setNonce(request.searchParams.get('nonce')!);
    const landed = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
    frame.src = `about:blank?${new URLSearchParams({ code: 'good', state: request.searchParams.get('state')!, iss: ISSUER })}`;
    await landed;
    expect(frame.contentWindow!.location.href, 'readable here, as on the redirect URI').to.match(/^about:blank\?code=good&/);
    // Not an answer: the provider's page counts as unanswered, as if the frame had stayed there.
    expect((await rejection(result)).code).to.equal('login_required');
    expect(tenant.tokenRequests()).to.have.length(0);
    expect(frame.isConnected).to.equal(false);
  });

  it('reports the provider\'s refusal (login_required: no session there) without a token request', async () => {
    const tenant = provider();
    const arrived = authorizationFrame();
    const result = silentLogin(config, tenant.network, ANSWER_MS);
    result.catch(() => {});
    const { frame, request } = await arrived;
    answer(frame, responseUrl({ error: 'login_required', error_description: 'Login required', state: request.searchParams.get('state')!, iss: ISSUER }));
    expect((await rejection(result)).code).to.equal('login_required');
    expect(tenant.tokenRequests()).to.have.length(0);
    expect(frame.isConnected).to.equal(false);
  });

  it('refuses an answer for another login (state) without a token request', async () => {
    const tenant = provider();
    const arrived = authorizationFrame();
    const result = silentLogin(config, tenant.network, ANSWER_MS);
    result.catch(() => {});
    const { frame, request } = await arrived;
    answer(frame, responseUrl({ code: 'good', state: `${request.searchParams.get('state')}x`, iss: ISSUER }));
    expect((await rejection(result)).code).to.equal('state_mismatch');
    expect(tenant.tokenRequests()).to.have.length(0);
    expect(frame.isConnected).to.equal(false);
  });

  it('makes no frame when discovery fails', async () => {
    const error = await rejection(silentLogin(config, fakeFetch({}), ANSWER_MS));
    expect(error.code).to.equal('network_error');
    expect(frames()).to.have.length(0);
  });
});
