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
import validateDpop, { checkDpopReplay } from 'oidc-provider/lib/helpers/validate_dpop.js';

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
 * @param {object} tenant what the grant needs of the tenant (provider.mjs)
 * @param {(email: string) => object | undefined} tenant.accountByEmail the account of a user, by email
 * @param {string} tenant.defaultAudience the API of a request that names none
 * @param {(audience: string) => object} tenant.resourceServer the API's resource server info (throws access_denied when unknown)
 * @param {(value: string) => object | undefined} tenant.findOrganization
 * @param {(grantId: string, login: object) => void} tenant.remember what this login was for, as loadExistingGrant does
 *   (its access tokens' claims come from it: extraTokenClaims replaces a token's `extra`)
 * @param {string} tenant.acr the acr of such a login
 */
export function registerTokenExchange(provider, errors, { accountByEmail, defaultAudience, resourceServer, findOrganization, remember, acr }) {
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
    const { params, client } = ctx.oidc;
    const subject = await legacyClaims(params.subject_token, params.subject_token_type, 'subject');
    const actor = params.actor_token || params.actor_token_type ? await legacyClaims(params.actor_token, params.actor_token_type, 'actor') : null;
    const account = accountByEmail(String(subject.email ?? '').toLowerCase());
    if (!account) throw new errors.InvalidGrant('subject_token names no user of this tenant');
    const audience = params.audience || defaultAudience;
    const info = resourceServer(audience);
    const organization = params.organization ? findOrganization(params.organization) : undefined;
    if (params.organization && !organization) throw new errors.AccessDenied(`Organization not found: ${params.organization}`);

    // What is asked for, within what the API allows (Auth0's API authorization policy).
    const allowed = new Set(info.scope.split(' '));
    const scope = [...new Set(String(params.scope ?? 'openid').split(' '))].filter((name) => allowed.has(name)).join(' ');
    const scopes = new Set(scope.split(' '));
    const grant = new provider.Grant({ accountId: account.accountId, clientId: client.clientId });
    grant.addOIDCScope(['openid', 'profile', 'email', 'offline_access'].filter((name) => scopes.has(name)).join(' '));
    grant.addOIDCClaims(['sub', 'email', 'email_verified', 'name', 'nickname', 'updated_at', 'org_id', 'org_name']);
    grant.addResourceScope(audience, scope);
    const grantId = await grant.save();
    remember(grantId, { audience, organization, acr, ...(actor ? { actor: actor.sub } : {}) });
    ctx.oidc.entity('Grant', grant);
    ctx.oidc.entity('Account', account);

    const authTime = Math.floor(Date.now() / 1000);
    const dPoP = await validateDpop(provider, ctx);
    if (dPoP) await checkDpopReplay(provider, ctx, dPoP, client.clientId, errors.InvalidGrant);
    const at = new provider.AccessToken({ accountId: account.accountId, client, grantId, gty: 'token_exchange', scope });
    at.resourceServer = new provider.ResourceServer(audience, info);
    if (dPoP) at.setThumbprint('jkt', dPoP.thumbprint);
    const accessToken = await at.save();

    let refreshToken;
    if (scopes.has('offline_access')) {
      const rt = new provider.RefreshToken({
        accountId: account.accountId, client, grantId, gty: 'token_exchange', scope, resource: audience, acr, authTime, rotations: 0,
      });
      // A public client's refresh token is bound to its DPoP key, as oidc-provider binds the code flow's.
      if (dPoP) rt.jkt = dPoP.thumbprint;
      ctx.oidc.entity('RefreshToken', rt);
      refreshToken = await rt.save();
    }

    let idToken;
    if (scopes.has('openid')) {
      const token = new provider.IdToken(await account.claims('id_token', scope, {}, []), { ctx });
      token.scope = scope;
      // As every ID token of the tenant: auth_time and acr, and the organization of an organization login.
      token.set('auth_time', authTime);
      token.set('acr', acr);
      if (organization) {
        token.set('org_id', organization.id);
        token.set('org_name', organization.name);
      }
      idToken = await token.issue({ use: 'idtoken' });
    }

    ctx.body = {
      access_token: accessToken,
      issued_token_type: ISSUED_TOKEN_TYPE,
      token_type: at.tokenType,
      expires_in: at.expiration,
      scope,
      ...(idToken ? { id_token: idToken } : {}),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    };
  }, ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'audience', 'scope', 'organization']);
}
