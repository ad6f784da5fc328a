import { expect } from '@esm-bundle/chai';
import { forAnotherApi } from '../../../src/core/session/api-tokens.js';
import { resolveConfig } from '../../../src/core/config.js';
import { clearDiscoveryCache } from '../../../src/core/session/provider.js';
import { startLogin } from '../../../src/core/session/redirect-login.js';
import { readPendingLogin } from '../../../src/core/session/pending-login.js';
import { Session } from '../../../src/core/session/session.js';
import { rejection } from '../../support/assertions.js';
import { AUDIENCE, ISSUER, clearClosoStorage, fakeFetch, json, metadata, signJwt, tokenResponse, type SeenRequest } from '../../support/responses.js';
import type { SessionChange } from '../../../src/core/session-contract.js';

const API2 = 'https://api2.example.com';
const startUrl = location.href;

describe('tokens for other APIs', () => {
  const opened: Session[] = [];
  afterEach(async () => {
    for (const session of opened.splice(0)) await session.logout({ localOnly: true });
    history.replaceState(null, '', startUrl);
    clearClosoStorage();
    clearDiscoveryCache();
  });

  /** A logged-in session whose token endpoint answers a refresh for another API with `apiAnswer(request)`. */
  async function loggedIn(apiAnswer: (request: SeenRequest) => Promise<Response>) {
    const clientId = `api-tokens-${Math.random().toString(36).slice(2)}`;
    let nonce = '';
    const network = fakeFetch({
      [`${ISSUER}.well-known/openid-configuration`]: () => json(metadata),
      [metadata.token_endpoint]: (request) => (request.body?.get('grant_type') === 'refresh_token' ? apiAnswer(request) : tokenResponse(nonce, {}, { aud: clientId })),
    });
    const config = resolveConfig({ issuer: ISSUER, clientId, audience: AUDIENCE }, location);
    const session = new Session(config, network);
    opened.push(session);
    const changes: SessionChange[] = [];
    session.subscribe((change) => changes.push(change));
    const url = await startLogin(config, { returnTo: location.pathname }, network);
    nonce = readPendingLogin(clientId, url.searchParams.get('state')!)!.nonce;
    session.handleCallback(`${location.origin}${location.pathname}?code=c&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(ISSUER)}`);
    await session.getAccessToken();
    return { session, network, changes, refreshes: () => network.seen.filter((r) => r.body?.get('grant_type') === 'refresh_token') };
  }
  let rotation = 0;
  const apiToken = async (aud: string, scope = 'read:reports') => json({
    access_token: await signJwt({ iss: ISSUER, aud: [aud, `${ISSUER}userinfo`], sub: 'auth0|unit-user', scope }),
    token_type: 'Bearer', expires_in: 600, scope, refresh_token: `rt-rotated-${++rotation}`,
  });

  it('tells a request for another API from the session\'s own', () => {
    const config = resolveConfig({ issuer: ISSUER, clientId: 'c', audience: AUDIENCE }, location);
    expect(forAnotherApi({}, config)).to.equal(false);
    expect(forAnotherApi({ audience: AUDIENCE }, config)).to.equal(false);
    expect(forAnotherApi({ audience: API2 }, config)).to.equal(true);
    expect(forAnotherApi({ scope: 'read:messages' }, config)).to.equal(true);
  });

  it('gets a token for another API with the refresh token (Auth0 MRRT), keeps it, and leaves the session\'s own token and events alone', async () => {
    const { session, changes, refreshes } = await loggedIn(() => apiToken(API2));
    const own = session.tokens!.accessToken;
    const tokensBefore = changes.filter((c) => c.type === 'token').length;
    const token = await session.getAccessToken({ audience: API2, scope: 'read:reports' });
    expect(JSON.parse(atob(token.split('.')[1]!)).aud).to.include(API2);
    const [refresh] = refreshes();
    expect(Object.fromEntries(refresh!.body!)).to.include({ grant_type: 'refresh_token', refresh_token: 'rt-1', audience: API2, scope: 'read:reports' });
    expect(await session.getAccessToken({ audience: API2, scope: 'read:reports' }), 'kept while valid').to.equal(token);
    expect(refreshes()).to.have.length(1);
    expect(session.tokens!.accessToken, 'the session\'s own token').to.equal(own);
    expect(changes.filter((c) => c.type === 'token').length, 'no token event for another API').to.equal(tokensBefore);
    // The rotated refresh token is the session's: the next grant sends it.
    await session.getAccessToken({ audience: API2, scope: 'read:other' });
    expect(refreshes()[1]!.body!.get('refresh_token')).to.equal(`rt-rotated-${rotation - 1}`);
  });

  it('refuses a token for another API than the one asked for (audience_mismatch), and keeps the rotated refresh token', async () => {
    const { session, refreshes } = await loggedIn((request) => apiToken(request.body?.get('audience') === 'https://outside.example.com' ? AUDIENCE : API2));
    const error = await rejection(session.getAccessToken({ audience: 'https://outside.example.com' }));
    expect(error.code).to.equal('audience_mismatch');
    expect(error.message).to.contain('https://outside.example.com');
    await session.getAccessToken({ audience: API2 });
    expect(refreshes()[1]!.body!.get('refresh_token'), 'the refused answer\'s rotated refresh token was kept').to.equal(`rt-rotated-${rotation - 1}`);
  });

  it('answers login_required for another API when nobody is logged in', async () => {
    const config = resolveConfig({ issuer: ISSUER, clientId: 'nobody', audience: AUDIENCE }, location);
    const session = new Session(config, fakeFetch({}));
    opened.push(session);
    expect((await rejection(session.getAccessToken({ audience: API2 }))).code).to.equal('login_required');
  });
});
