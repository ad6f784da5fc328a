// The local tenant's Custom Token Exchange (RFC 8693), as an Auth0 tenant with a Custom Token
// Exchange profile and its Action: it takes subject tokens of one type, `urn:closo:legacy-token`,
// from one issuer, the "legacy" identity system whose signing key the tests and the demo hold,
// for users of this tenant (matched by their email, as a migration would). Each legacy token is
// used once. An actor token of the same type acts for the subject: the access token names it in
// `act` (RFC 8693 §4.1). Anything else is refused as Auth0 refuses it: an unknown token type with
// invalid_request, a token that fails its checks with invalid_grant, an unknown API or
// organization with access_denied.
import { SignJWT, generateKeyPair, jwtVerify } from 'jose';
import { randomUUID } from 'node:crypto';
import { issueGrantTokens } from './grant-tokens.mjs';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The subject token type of the tenant's Custom Token Exchange profile. */
export const LEGACY_TOKEN_TYPE = 'urn:closo:legacy-token';
/** The legacy identity system: the one issuer whose tokens the tenant exchanges. */
export const LEGACY_ISSUER = 'https://legacy.closo.test/';
/** What the legacy system's tokens are for: this exchange. */
const LEGACY_AUDIENCE = 'urn:closo:token-exchange';
const ISSUED_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

const legacyKeys = await generateKeyPair('ES256');

/**
 * A token of the legacy system for the user with `email` (by default, valid five minutes),
 * signed with the legacy system's key; `forged` signs it with another key, `issuer` names
 * another issuer, `expiresIn` ≤ 0 makes it expired.
 */
export async function legacyToken({ email, sub = `legacy|${email}`, expiresIn = 300, issuer = LEGACY_ISSUER, forged = false } = {}) {
  const key = forged ? (await generateKeyPair('ES256')).privateKey : legacyKeys.privateKey;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ email })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(LEGACY_AUDIENCE)
    .setSubject(sub)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + expiresIn)
    .sign(key);
}

/**
 * Registers the grant on `provider`.
 * @param {import('./grant-tokens.mjs').Tenant & { accountByEmail: (email: string) => object | undefined }} tenant
 *   what the grant needs of the tenant (provider.mjs), and the account of a user by email
 */
export function registerTokenExchange(provider, errors, tenant) {
  const spent = new Set();

  /** The legacy token's claims, once: its type, signature, issuer, audience, lifetime and jti checked. */
  async function legacyClaims(token, type, role) {
    if (!token || !type) throw new errors.InvalidRequest(`${role}_token and ${role}_token_type are required`);
    if (type !== LEGACY_TOKEN_TYPE) throw new errors.InvalidRequest(`unsupported ${role}_token_type: no Custom Token Exchange profile for ${type}`);
    let payload;
    try {
      ({ payload } = await jwtVerify(token, legacyKeys.publicKey, { issuer: LEGACY_ISSUER, audience: LEGACY_AUDIENCE, algorithms: ['ES256'], requiredClaims: ['jti', 'exp'] }));
    } catch (error) {
      throw new errors.InvalidGrant(`${role}_token rejected (${error.code ?? error.message})`);
    }
    if (spent.has(payload.jti)) throw new errors.InvalidGrant(`${role}_token already used`);
    spent.add(payload.jti);
    return payload;
  }

  provider.registerGrantType(TOKEN_EXCHANGE_GRANT, async (ctx) => {
    const { params } = ctx.oidc;
    const subject = await legacyClaims(params.subject_token, params.subject_token_type, 'subject');
    const actor = params.actor_token || params.actor_token_type ? await legacyClaims(params.actor_token, params.actor_token_type, 'actor') : null;
    const account = tenant.accountByEmail(String(subject.email ?? '').toLowerCase());
    if (!account) throw new errors.InvalidGrant('subject_token names no user of this tenant');
    const body = await issueGrantTokens(provider, errors, tenant, ctx, { account, gty: 'token_exchange', login: actor ? { actor: actor.sub } : {} });
    ctx.body = { ...body, issued_token_type: ISSUED_TOKEN_TYPE };
  }, ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'audience', 'scope', 'organization']);
}
