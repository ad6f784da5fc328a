import { expect } from '@esm-bundle/chai';
import { clearDiscoveryCache } from '../../../src/core/session/provider.js';
import { silentLogin } from '../../../src/core/session/silent-login.js';
import { rejection } from '../../support/assertions.js';
import { CLIENT_ID, clearClosoStorage, fakeFetch } from '../../support/responses.js';
import {
  ANSWER_MS, AUTHORIZE, ISSUER, REDIRECT_URI, answer, authorizationFrame, frames, provider, responseUrl, silentConfig as config,
} from '../../support/silent-provider.js';

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
    const result = silentLogin(config, tenant.network, { timeoutMs: ANSWER_MS });
    result.catch(() => {});
    const { frame, request } = await arrived;

    expect(frame.hidden).to.equal(true);
    expect(frame.getAttribute('aria-hidden')).to.equal('true');
    expect(frame.title).to.equal('Silent sign-in');
    expect(request.origin + request.pathname).to.equal(AUTHORIZE);
    const params = Object.fromEntries(request.searchParams);
    expect(params).to.include({ prompt: 'none', response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, code_challenge_method: 'S256' });
    expect(params.state).to.be.a('string');
    expect(params, 'no ID token held: no hint').not.to.have.property('id_token_hint');
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

  it('sends the ID token the session holds as id_token_hint (OpenID Connect Core §3.1.2.1)', async () => {
    const arrived = authorizationFrame();
    const result = silentLogin(config, provider().network, { timeoutMs: ANSWER_MS, idTokenHint: 'held.id.token' });
    result.catch(() => {});
    const { request } = await arrived;
    expect(Object.fromEntries(request.searchParams)).to.include({ prompt: 'none', id_token_hint: 'held.id.token' });
  });

  it('ends in login_required within 2 s, not at the timeout, when the frame stays on a provider page (a login form, a refused frame)', async () => {
    const tenant = provider();
    const arrived = authorizationFrame();
    const result = silentLogin(config, tenant.network, { timeoutMs: 60_000 });
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
    const result = silentLogin(config, tenant.network, { timeoutMs: 60_000 });
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
    const result = silentLogin(config, tenant.network, { timeoutMs: ANSWER_MS });
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
    const result = silentLogin(config, tenant.network, { timeoutMs: ANSWER_MS });
    result.catch(() => {});
    const { frame, request } = await arrived;
    answer(frame, responseUrl({ code: 'good', state: `${request.searchParams.get('state')}x`, iss: ISSUER }));
    expect((await rejection(result)).code).to.equal('state_mismatch');
    expect(tenant.tokenRequests()).to.have.length(0);
    expect(frame.isConnected).to.equal(false);
  });

  it('makes no frame when discovery fails', async () => {
    const error = await rejection(silentLogin(config, fakeFetch({}), { timeoutMs: ANSWER_MS }));
    expect(error.code).to.equal('network_error');
    expect(frames()).to.have.length(0);
  });
});
