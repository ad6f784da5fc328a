import { expect } from '@esm-bundle/chai';
import {
  processAuthorizationCodeResponse,
  processDiscoveryResponse,
  processRefreshTokenResponse,
  validateAuthResponse,
  type AuthorizationServer,
} from 'oauth4webapi';
import { AuthError } from '../../../src/core/errors.js';
import { toAuthError, type Step } from '../../../src/core/session/oauth-errors.js';
import { CLIENT_ID, ISSUER, idTokenClaims, json, metadata, signJwt } from '../../support/responses.js';

const as = metadata as AuthorizationServer;
const client = { client_id: CLIENT_ID };

/** What oauth4webapi itself throws for `run`: the real error, not a copy. */
async function thrown(run: () => unknown): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected oauth4webapi to throw');
}

/** The code a user sees for `error` in `step`, and again after oauth4webapi rewords its message. */
function codes(error: Error, step: Step): [string, string] {
  const before = toAuthError(error, step).code;
  error.message = 'a message an oauth4webapi upgrade might write instead';
  return [before, toAuthError(error, step).code];
}

const codeAnswer = (body: unknown, status = 200) => processAuthorizationCodeResponse(as, client, json(body, status), { expectedNonce: 'n-1', requireIdToken: true });

describe('toAuthError: oauth4webapi errors, mapped by code and cause', () => {
  it('keeps an OAuth error answer\'s error; a refused refresh token ends the session (login_required)', async () => {
    const refused = () => json({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' }, 400);
    expect(codes(await thrown(() => processRefreshTokenResponse(as, client, refused())), 'refresh_failed')).to.deep.equal(['login_required', 'login_required']);
    expect(codes(await thrown(() => codeAnswer({ error: 'invalid_grant' }, 400)), 'token_exchange_failed')).to.deep.equal(['token_exchange_failed', 'token_exchange_failed']);
    const error = toAuthError(await thrown(() => processRefreshTokenResponse(as, client, refused())), 'refresh_failed');
    expect(error.message).to.equal('The token endpoint answered 400 invalid_grant: Unknown or invalid refresh token.');
  });

  it('passes an authorization response\'s error through when it is a registered one (RFC 6749 §4.1.2.1)', async () => {
    const answer = (error: string) => thrown(() => validateAuthResponse(as, client, new URL(`https://app.example/cb?error=${error}&state=s&iss=${encodeURIComponent(ISSUER)}`), 's'));
    expect(codes(await answer('access_denied'), 'authorization_failed')).to.deep.equal(['access_denied', 'access_denied']);
    expect(codes(await answer('consent_required'), 'authorization_failed')).to.deep.equal(['consent_required', 'consent_required']);
    expect(codes(await answer('made_up'), 'authorization_failed')).to.deep.equal(['authorization_failed', 'authorization_failed']);
  });

  it('reports an ID token that oauth4webapi refuses as id_token_invalid, whatever the check', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: Record<string, Record<string, unknown>> = {
      'wrong audience (claim comparison)': { aud: 'someone-else' },
      'wrong nonce (claim comparison)': { nonce: 'n-2' },
      'expired (timestamp check)': { exp: now - 3600 },
      'no subject (missing claim)': { sub: undefined },
      'iat not a number (claim type)': { iat: 'yesterday' },
    };
    for (const [name, claims] of Object.entries(cases)) {
      const idToken = await signJwt({ ...idTokenClaims('n-1'), ...claims });
      const error = await thrown(() => codeAnswer({ access_token: 'at', token_type: 'Bearer', id_token: idToken }));
      expect(codes(error, 'token_exchange_failed'), name).to.deep.equal(['id_token_invalid', 'id_token_invalid']);
    }
    const unsigned = `${btoa('{"alg":"none"}')}.${btoa(JSON.stringify(idTokenClaims('n-1')))}.`;
    expect(codes(await thrown(() => codeAnswer({ access_token: 'at', token_type: 'Bearer', id_token: unsigned })), 'refresh_failed')).to.deep.equal(['id_token_invalid', 'id_token_invalid']);
    const crit = await signJwt(idTokenClaims('n-1'), { crit: ['exp'] });
    expect(codes(await thrown(() => codeAnswer({ access_token: 'at', token_type: 'Bearer', id_token: crit })), 'token_exchange_failed')).to.deep.equal(['id_token_invalid', 'id_token_invalid']);
    expect(codes(await thrown(() => codeAnswer({ access_token: 'at', token_type: 'Bearer', id_token: 'not.a-jwt' })), 'token_exchange_failed')).to.deep.equal(['id_token_invalid', 'id_token_invalid']);
  });

  it('reports a malformed answer body as the step\'s own failure, not as an ID token problem', async () => {
    const idToken = await signJwt(idTokenClaims('n-1'));
    for (const body of [{ token_type: 'Bearer', id_token: idToken }, { access_token: 42, token_type: 'Bearer' }, { access_token: 'at', token_type: 'mac', id_token: idToken },
      { access_token: 'at', token_type: 'Bearer', expires_in: 'soon' }, [], null]) {
      const error = await thrown(() => codeAnswer(body));
      expect(codes(error, 'token_exchange_failed'), JSON.stringify(body)).to.deep.equal(['token_exchange_failed', 'token_exchange_failed']);
    }
    const html = await thrown(() => processAuthorizationCodeResponse(as, client, new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } }), { expectedNonce: 'n-1' }));
    expect(codes(html, 'refresh_failed')).to.deep.equal(['refresh_failed', 'refresh_failed']);
  });

  it('reports other steps\' failures with the step\'s code', async () => {
    const wrongIssuer = await thrown(() => processDiscoveryResponse(new URL(ISSUER), json({ ...metadata, issuer: 'https://evil.example/' })));
    expect(codes(wrongIssuer, 'discovery_failed')).to.deep.equal(['discovery_failed', 'discovery_failed']);
  });
});

describe('toAuthError: everything else', () => {
  it('passes AuthErrors through unchanged', () => {
    const error = new AuthError('popup_closed', 'closed');
    expect(toAuthError(error, 'authorization_failed')).to.equal(error);
  });

  it('reports a timeout or an abort as timeout', () => {
    expect(toAuthError(new DOMException('x', 'TimeoutError'), 'refresh_failed').code).to.equal('timeout');
    expect(toAuthError(new DOMException('x', 'AbortError'), 'discovery_failed').code).to.equal('timeout');
  });

  it('never reports a fetch failure from its message: a TypeError is the step\'s failure (network errors are tagged where fetch is called)', () => {
    expect(toAuthError(new TypeError('Failed to fetch'), 'discovery_failed').code).to.equal('discovery_failed');
  });

  it('turns anything thrown into an AuthError with a message', () => {
    for (const thrownValue of [undefined, null, 'text', 42, {}]) {
      const error = toAuthError(thrownValue, 'refresh_failed');
      expect(error).to.be.instanceOf(AuthError);
      expect(error.code).to.equal('refresh_failed');
      expect(error.message).to.be.a('string');
    }
  });
});

describe('toAuthError: the causes it keeps', () => {
  it('keeps of an oauth4webapi cause only the name, message and codes: never a token response', async () => {
    const error = await thrown(() => codeAnswer({ access_token: 'secret-at', token_type: 'mac', refresh_token: 'secret-rt' }));
    const reported = toAuthError(error, 'token_exchange_failed');
    const cause = reported.cause as Error & { code?: string };
    expect(cause).to.be.instanceOf(Error);
    expect(cause.code).to.equal('OAUTH_UNSUPPORTED_OPERATION');
    const seen = JSON.stringify(reported, Object.getOwnPropertyNames(reported)) + JSON.stringify(cause, Object.getOwnPropertyNames(cause));
    expect(seen).not.to.contain('secret-rt');
    expect(seen).not.to.contain('secret-at');
    expect(cause.cause).to.equal(undefined);
  });
});
