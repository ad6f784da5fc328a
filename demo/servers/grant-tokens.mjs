// The tokens of a login that happens at the token endpoint, with no authorization request: the
// local tenant's Custom Token Exchange (token-exchange.mjs) and its passkey grant (passkeys.mjs).
// As the code flow's: a grant of its own that remembers what the login was for, a JWT access
// token for the API asked (or the default one) within the scopes it allows, a rotating refresh
// token with offline_access (bound to the DPoP key when there is one), and an ID token with
// auth_time, acr and the organization; with a refresh token, the MRRT policy's APIs, as a code
// flow login gets them.
import validateDpop, { checkDpopReplay } from 'oidc-provider/lib/helpers/validate_dpop.js';

const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/**
 * What every such grant needs of the tenant (provider.mjs).
 * @typedef {object} Tenant
 * @property {string} defaultAudience the API of a request that names none
 * @property {(audience: string) => object} resourceServer the API's resource server info (throws access_denied when unknown)
 * @property {(value: string) => object | undefined} findOrganization
 * @property {(grantId: string, login: object) => void} remember what this login was for, as loadExistingGrant does
 *   (its access tokens' claims come from it: extraTokenClaims replaces a token's `extra`)
 * @property {string} acr the acr of such a login
 * @property {{ audience: string, scope: string[] }[]} refreshTokenPolicy the client's MRRT policy: the APIs a refresh token may get tokens for
 */

/**
 * Issues the tokens of `account`'s login by `gty` for the request in `ctx` (its `audience`,
 * `scope` and `organization` parameters); `login` adds to what the grant remembers.
 * @returns {Promise<object>} the token answer's body
 */
export async function issueGrantTokens(provider, errors, tenant, ctx, { account, gty, login = {} }) {
  const { params, client } = ctx.oidc;
  const audience = params.audience || tenant.defaultAudience;
  const info = tenant.resourceServer(audience);
  const organization = params.organization ? tenant.findOrganization(params.organization) : undefined;
  if (params.organization && !organization) throw new errors.AccessDenied(`Organization not found: ${params.organization}`);

  // What is asked for, within what the API allows (Auth0's API authorization policy).
  const allowed = new Set(info.scope.split(' '));
  const scope = [...new Set(String(params.scope ?? 'openid').split(' '))].filter((name) => allowed.has(name)).join(' ');
  const scopes = new Set(scope.split(' '));
  const grant = new provider.Grant({ accountId: account.accountId, clientId: client.clientId });
  grant.addOIDCScope(OIDC_SCOPES.filter((name) => scopes.has(name)).join(' '));
  grant.addOIDCClaims(['sub', 'email', 'email_verified', 'name', 'nickname', 'updated_at', 'org_id', 'org_name']);
  grant.addResourceScope(audience, scope);
  // With a refresh token, the MRRT policy's other APIs too, as the code flow's logins get them
  // (provider.mjs, loadExistingGrant): a refresh_token grant may then ask for their tokens.
  const policy = scopes.has('offline_access') ? tenant.refreshTokenPolicy.filter((entry) => entry.audience !== audience) : [];
  const oidcScopes = OIDC_SCOPES.filter((name) => scopes.has(name));
  for (const entry of policy) grant.addResourceScope(entry.audience, [...oidcScopes, ...entry.scope].join(' '));
  const grantId = await grant.save();
  const { acr } = tenant;
  tenant.remember(grantId, { audience, organization, acr, ...login });
  ctx.oidc.entity('Grant', grant);
  ctx.oidc.entity('Account', account);

  const authTime = Math.floor(Date.now() / 1000);
  const dPoP = await validateDpop(provider, ctx);
  if (dPoP) await checkDpopReplay(provider, ctx, dPoP, client.clientId, errors.InvalidGrant);
  const at = new provider.AccessToken({ accountId: account.accountId, client, grantId, gty, scope });
  at.resourceServer = new provider.ResourceServer(audience, info);
  if (dPoP) at.setThumbprint('jkt', dPoP.thumbprint);
  const accessToken = await at.save();

  let refreshToken;
  if (scopes.has('offline_access')) {
    const rt = new provider.RefreshToken({
      accountId: account.accountId, client, grantId, gty, acr, authTime, rotations: 0,
      scope: [scope, ...policy.flatMap((entry) => entry.scope)].join(' '),
      resource: policy.length ? [audience, ...policy.map((entry) => entry.audience)] : audience,
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

  return {
    access_token: accessToken,
    token_type: at.tokenType,
    expires_in: at.expiration,
    scope,
    ...(idToken ? { id_token: idToken } : {}),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
  };
}
