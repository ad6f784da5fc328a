// The local tenant's native passkey API, as Auth0's (Authentication API): POST /passkey/register
// (sign up) and POST /passkey/challenge (sign in) hand out WebAuthn options and an `auth_session`;
// the token endpoint's grant `urn:okta:params:oauth:grant-type:webauthn` takes the auth_session and
// the browser's credential (`authn_response`, a JSON object) and logs the user in, with tokens as
// every login of the tenant gets (grant-tokens.mjs). Binary fields are base64url, as Auth0's; no
// allowCredentials or excludeCredentials are sent (Auth0 sends none: the passkey is discoverable).
//
// The WebAuthn checks are @simplewebauthn/server's: the challenge of this auth_session, the origin
// (one of the tenant's allowed web origins), the RP ID hash, the signature with the stored public
// key, and the signature counter. Each auth_session is used once, whatever its outcome.
import { randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { issueGrantTokens } from './grant-tokens.mjs';
import { readBody } from './http.mjs';

export const WEBAUTHN_GRANT = 'urn:okta:params:oauth:grant-type:webauthn';
/** The tenant's database connection, the only `realm` the passkey API takes. */
export const PASSKEY_REALM = 'Username-Password-Authentication';
const SESSION_TTL_MS = 5 * 60_000;

/**
 * Adds the passkey API to the tenant.
 * @param {import('./grant-tokens.mjs').Tenant & {
 *   clientId: string, rpId: string, origins: () => string[], ceremonyTimeout: () => number,
 *   users: { byEmail(email: string): object | undefined, bySub(sub: string): object | undefined, create(profile: object): object },
 * }} tenant the passkey API's settings (the RP ID, the allowed web origins, the `timeout` its options give, as
 *   Auth0's 60 s) and the tenant's users
 * @returns {((req, res, url: URL) => Promise<boolean>) & { refusals: string[] }} answers a request to /passkey/…
 *   (false when it is not one); `refusals` says why each refused grant was refused
 */
export function registerPasskeys(provider, errors, tenant) {
  /** auth_session → { kind: 'signup' | 'login', challenge, expires, and for a sign-up: profile, userId (the WebAuthn user handle), sub } */
  const sessions = new Map();
  /** Credential id (base64url) → { sub, userId, publicKey, counter, transports } */
  const credentials = new Map();
  /** Why each refused passkey grant was refused, in order (oidc-provider tells the client only "grant request is invalid"). */
  const refusals = [];
  const refuse = (reason) => {
    refusals.push(reason);
    return new errors.InvalidGrant(reason);
  };

  const newSession = (session) => {
    const id = randomBytes(24).toString('base64url');
    sessions.set(id, { ...session, expires: Date.now() + SESSION_TTL_MS });
    return id;
  };

  provider.registerGrantType(WEBAUTHN_GRANT, async (ctx) => {
    const { params } = ctx.oidc;
    checkRealm(params.realm, errors.InvalidRequest);
    // Used once: taken before anything is checked.
    const session = sessions.get(String(params.auth_session ?? ''));
    sessions.delete(String(params.auth_session ?? ''));
    if (!session || session.expires < Date.now()) throw refuse('auth_session is unknown, expired or already used');
    let response;
    try {
      response = JSON.parse(String(params.authn_response ?? ''));
    } catch {
      throw new errors.InvalidRequest('"authn_response" must be of type object');
    }
    if (!response || typeof response !== 'object') throw new errors.InvalidRequest('"authn_response" must be of type object');
    const expected = { expectedChallenge: session.challenge, expectedOrigin: tenant.origins(), expectedRPID: tenant.rpId, requireUserVerification: false };
    const refused = (error) => refuse(`the passkey was refused: ${error?.message ?? 'not verified'}`);

    let account;
    if (session.kind === 'signup') {
      let verification;
      try {
        verification = await verifyRegistrationResponse({ response, ...expected });
      } catch (error) {
        throw refused(error);
      }
      if (!verification.verified || !verification.registrationInfo) throw refused();
      if (tenant.users.byEmail(session.profile.email)) throw refuse('The user already exists.');
      account = tenant.users.create({ ...session.profile, sub: session.sub });
      const { credential } = verification.registrationInfo;
      credentials.set(credential.id, { sub: account.accountId, userId: session.userId, publicKey: credential.publicKey, counter: credential.counter, transports: credential.transports });
    } else {
      const stored = credentials.get(String(response.id ?? ''));
      if (!stored) throw refuse('the passkey is not known to this tenant');
      const userHandle = response.response?.userHandle;
      if (userHandle !== undefined && userHandle !== null && userHandle !== stored.userId) throw refuse('the passkey belongs to another user');
      let verification;
      try {
        verification = await verifyAuthenticationResponse({
          response, ...expected, credential: { id: response.id, publicKey: stored.publicKey, counter: stored.counter, transports: stored.transports },
        });
      } catch (error) {
        throw refused(error);
      }
      if (!verification.verified) throw refused();
      stored.counter = verification.authenticationInfo.newCounter;
      account = tenant.users.bySub(stored.sub);
    }
    ctx.body = await issueGrantTokens(provider, errors, tenant, ctx, { account, gty: 'passkey' });
  }, ['auth_session', 'authn_response', 'realm', 'audience', 'scope', 'organization']);

  /** Sign up: a new user's profile (an email, here) and the options to create their passkey with. */
  async function register(body) {
    const profile = body.user_profile ?? {};
    const email = typeof profile.email === 'string' ? profile.email.trim().toLowerCase() : '';
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) return [400, { error: 'invalid_request', error_description: 'user_profile.email is required: this connection identifies users by email.' }];
    if (tenant.users.byEmail(email)) return [400, { error: 'invalid_request', error_description: 'The user already exists.' }];
    const name = typeof profile.name === 'string' && profile.name.trim() ? profile.name.trim() : email;
    const userId = randomBytes(16).toString('hex');
    const options = await generateRegistrationOptions({
      rpName: 'Closo local tenant', rpID: tenant.rpId, userName: email, userDisplayName: name,
      userID: new TextEncoder().encode(userId), attestationType: 'none', timeout: tenant.ceremonyTimeout(),
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    const { challenge, timeout, rp, user, pubKeyCredParams, authenticatorSelection } = options;
    const authSession = newSession({ kind: 'signup', challenge, profile: { email, name }, userId: user.id, sub: `auth0|${userId}` });
    return [200, { auth_session: authSession, authn_params_public_key: { challenge, timeout, rp, user, pubKeyCredParams, authenticatorSelection } }];
  }

  /** Sign in: the options to ask for any passkey of this RP with (discoverable credentials). */
  async function challenge() {
    const { challenge: value, timeout, rpId, userVerification } = await generateAuthenticationOptions({ rpID: tenant.rpId, userVerification: 'preferred', timeout: tenant.ceremonyTimeout() });
    return [200, { auth_session: newSession({ kind: 'login', challenge: value }), authn_params_public_key: { challenge: value, timeout, rpId, userVerification } }];
  }

  return Object.assign(handle, { refusals });

  async function handle(req, res, url) {
    const endpoint = { '/passkey/register': register, '/passkey/challenge': challenge }[url.pathname];
    if (!endpoint) return false;
    const origin = req.headers.origin;
    const cors = origin && tenant.origins().includes(origin)
      ? { 'access-control-allow-origin': origin, 'access-control-allow-headers': 'content-type, auth0-client', 'access-control-allow-methods': 'POST', vary: 'Origin' }
      : { vary: 'Origin' };
    const send = (status, body) => {
      res.writeHead(status, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return true;
    }
    if (req.method !== 'POST') {
      send(405, { error: 'invalid_request', error_description: 'POST only' });
      return true;
    }
    let body;
    try {
      body = JSON.parse(await readBody(req, 16 * 1024));
    } catch {
      body = null;
    }
    if (!body || typeof body !== 'object') send(400, { error: 'invalid_request', error_description: 'The body must be a JSON object.' });
    else if (body.client_id !== tenant.clientId) send(401, { error: 'unauthorized_client', error_description: 'Unknown client_id.' });
    else if (body.realm !== undefined && body.realm !== PASSKEY_REALM) send(400, { error: 'invalid_request', error_description: `Unknown realm: ${body.realm}` });
    else if (body.organization !== undefined && !tenant.findOrganization(body.organization)) send(400, { error: 'invalid_request', error_description: `Organization not found: ${body.organization}` });
    else send(...(await endpoint(body)));
    return true;
  }
}

function checkRealm(realm, InvalidRequest) {
  if (realm !== undefined && realm !== PASSKEY_REALM) throw new InvalidRequest(`Unknown realm: ${realm}`);
}
