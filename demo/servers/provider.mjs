// A real OpenID Provider (oidc-provider) set up to behave like an Auth0 tenant,
// for the demo and the tests. Loopback only; never a production server.
//
// Auth0 traits reproduced here:
// - issuer ending in "/", Auth0's endpoint paths (/authorize, /oauth/token, ...);
// - a public SPA client (token_endpoint_auth_method "none", PKCE S256 required);
// - the `audience` parameter selects an API and gives an RS256 JWT access token
//   shaped like Auth0's (typ JWT, aud [audience, <issuer>userinfo], azp, scope);
// - `offline_access` gives a rotating refresh token without `prompt=consent`;
// - profile and email claims in the ID token; no consent screen for first-party apps;
// - the token endpoint accepts JSON bodies as well as form bodies;
// - an unknown audience is answered with access_denied, as Auth0 does;
// - /userinfo accepts the JWT access token of an API whose aud includes <issuer>userinfo;
// - several APIs, each with its own scopes, and a Multi-Resource Refresh Token (MRRT) policy:
//   a refresh_token grant with `audience` (and `scope`) gets a token for another API of the
//   policy; an audience outside the policy (or unknown) is silently ignored, the token is
//   then for the login's own audience (else the default API); asked scopes the policy does
//   not allow are dropped;
// - Organizations: `organization` (id, or name in any case) logs the user into it; every ID
//   token of that login has org_id and org_name, its access tokens org_id; an unknown
//   organization is refused with access_denied; `invitation` is accepted with it;
// - every ID token has auth_time and acr; acr_values asking for MFA shows the login form
//   again even within a session (step-up; here the form stands for the second factor) and
//   gives acr urn:closo:loa:mfa, else urn:closo:loa:pwd; the access tokens carry the same acr.
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createJtiCache, verifyDpopProof } from './dpop-proof.mjs';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { listenLoopback, readBody, sendHtml, escapeHtml } from './http.mjs';
import { hostileTokenEndpoint, tamperAuthorizationResponse } from './hostile.mjs';
import { registerTokenExchange, TOKEN_EXCHANGE_GRANT } from './token-exchange.mjs';
import { registerPasskeys, WEBAUTHN_GRANT } from './passkeys.mjs';

export const DEMO_USER = Object.freeze({
  sub: 'auth0|64f1c0de0000000000000001',
  email: 'demo@closo.test',
  password: 'closo-demo',
  name: 'Dana Demo',
  nickname: 'dana',
});

export const DEFAULT_AUDIENCE = 'https://api.thecloso.com';
/** A second API, allowed to the SPA by its MRRT policy. */
export const SECOND_AUDIENCE = 'https://api2.thecloso.com';
/** An API the tenant knows that is not in the SPA's MRRT policy. */
export const OUTSIDE_POLICY_AUDIENCE = 'https://billing.thecloso.com';
export const DEFAULT_CLIENT_ID = 'closo-demo-spa';
/** The tenant's APIs (Auth0: Applications → APIs) and their scopes (Auth0: permissions). */
export const API_SCOPES = Object.freeze({
  [DEFAULT_AUDIENCE]: ['read:messages'],
  [SECOND_AUDIENCE]: ['read:reports'],
  [OUTSIDE_POLICY_AUDIENCE]: ['read:invoices'],
});
/**
 * The SPA's Multi-Resource Refresh Token policy (Auth0: the application's
 * refresh_token.policies): the APIs, and their scopes, a refresh token may get access tokens for.
 */
export const MRRT_POLICY = Object.freeze([
  { audience: DEFAULT_AUDIENCE, scope: ['read:messages'] },
  { audience: SECOND_AUDIENCE, scope: ['read:reports'] },
]);
/** Auth0 Organizations of the tenant; `name` is lower-case, as Auth0 keeps it. */
export const ORGANIZATIONS = Object.freeze([
  Object.freeze({ id: 'org_7d0c4a1f2e3b4c5d', name: 'acme' }),
  Object.freeze({ id: 'org_2b8e9f00aa11cc22', name: 'globex' }),
]);
/** Authentication context classes: a login with the second factor (step-up), and one without. */
export const ACR_MFA = 'urn:closo:loa:mfa';
export const ACR_PWD = 'urn:closo:loa:pwd';
const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
/** Claims /userinfo returns per scope, as the provider's `claims` setting below. */
const USERINFO_CLAIMS = { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'nickname', 'updated_at'] };
/** A JWT access token presented to /userinfo (an opaque one goes to oidc-provider). */
const JWT_CREDENTIALS = /^(Bearer|DPoP) ([\w-]+\.[\w-]+\.[\w-]+)$/i;

/** The organization an `organization` parameter names: its id, or its name in any case. */
export function findOrganization(value) {
  if (typeof value !== 'string' || !value) return undefined;
  return ORGANIZATIONS.find((org) => org.id === value || org.name === value.toLowerCase());
}

/** Whether an acr_values parameter asks for the second factor. */
/** Auth0's multi-factor policy, the acr_values an app sends to step up after mfa_required: MFA here too. */
export const ACR_MFA_AUTH0 = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';
/** The multi-factor acr asked for, if any (this tenant's own, or Auth0's policy URI). */
const mfaAsked = (acrValues) => String(acrValues ?? '').split(' ').find((value) => value === ACR_MFA || value === ACR_MFA_AUTH0);
const asksForMfa = (acrValues) => Boolean(mfaAsked(acrValues));

/**
 * Starts the provider on a loopback port.
 * @param {object} [options]
 * @param {number} [options.port] 0 picks a free port.
 * @param {string} [options.host] host name used in the issuer URL (localhost or 127.0.0.1).
 * @param {string} [options.clientId]
 * @param {string[]} options.redirectUris exact redirect URIs of the SPA (Auth0's "Allowed Callback URLs").
 * @param {string[]} [options.postLogoutRedirectUris]
 * @param {string[]} [options.audiences] API identifiers the tenant knows (default: those of API_SCOPES).
 * @param {number} [options.accessTokenTTL] seconds; can be changed later through `settings`.
 * @param {number} [options.idTokenTTL] seconds.
 * @param {{ key: string, cert: string }} [options.tls] serve HTTPS with this certificate; the session cookies
 *   are then `SameSite=None; Secure`, as Auth0's are, so that a browser's own third-party cookie policy decides
 *   whether a silent sign-in frame on another site gets them.
 * @param {string[]} [options.webOrigins] Auth0's "Allowed Web Origins", where passkeys may be used (default: the
 *   origins of the redirect URIs).
 * @param {string} [options.passkeyRpId] the passkeys' relying party ID (default: the host of the first redirect URI;
 *   browsers take no IP address, so passkeys need a host name such as localhost).
 */
export async function startProvider({
  port = 0,
  host = '127.0.0.1',
  clientId = DEFAULT_CLIENT_ID,
  redirectUris,
  postLogoutRedirectUris = [],
  audiences = Object.keys(API_SCOPES),
  accessTokenTTL = 3600,
  idTokenTTL = 3600,
  tls,
  webOrigins = [...new Set(redirectUris.map((uri) => new URL(uri).origin))],
  passkeyRpId = new URL(redirectUris[0]).hostname,
} = {}) {
  // The issuer must be known before the provider is built, so the server listens first.
  let handle = (_req, res) => { res.statusCode = 503; res.end(); };
  const server = tls ? createHttpsServer(tls, (req, res) => handle(req, res)) : createServer((req, res) => handle(req, res));
  const boundPort = await listenLoopback(server, port, host, tls);
  const issuer = `${tls ? 'https' : 'http'}://${host}:${boundPort}/`;

  /** Requests the provider saw, for tests: { method, path, params, body, headers }. */
  const requests = [];
  /** Every refresh token the token endpoint issued, in order: what tests look for where it must not be. */
  const issuedRefreshTokens = [];
  const recordIssuedRefreshToken = (res) => {
    const end = res.end.bind(res);
    res.end = (chunk, ...rest) => {
      try {
        const token = JSON.parse(String(chunk ?? ''))?.refresh_token;
        if (typeof token === 'string') issuedRefreshTokens.push(token);
      } catch {
        // not a JSON answer
      }
      return end(chunk, ...rest);
    };
  };
  /**
   * Settings a test may change while the provider runs. `sessionCeiling`: seconds from the login
   * after which the session is over, as Auth0's `session_expiry` ID token claim says (null: none).
   * `openerPolicy`: a Cross-Origin-Opener-Policy for the login page (`same-origin` cuts a popup
   * off from the page that opened it). `passkeyTimeoutMs`: the `timeout` of the passkey API's WebAuthn options.
   */
  const settings = { accessTokenTTL, requireDpopNonce: false, sessionCeiling: null, openerPolicy: null, passkeyTimeoutMs: 60_000 };
  /**
   * Test-only faults ("hostile mode", see hostile.mjs): { authorization, token, idToken, jwks,
   * revocation: 'error' }. Empty, so off, unless a test sets them.
   */
  const faults = {};

  const { default: Provider, errors, interactionPolicy } = await quietly(() => import('oidc-provider'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  // Signing keys by name: the tenant's own, and (made on first use) a spare one that hostile
  // mode can publish and sign ID tokens with, for key rotation and several-key JWKS tests.
  const signingKeys = { primary: { privateKey, kid: jwk.kid } };
  const signingKey = (name) => {
    if (name === 'spare' && !signingKeys.spare) {
      signingKeys.spare = { privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, kid: randomUUID() };
    }
    const key = signingKeys[name];
    if (!key) throw new Error(`no signing key named ${name}`);
    return key;
  };
  const publicJwk = (name) => {
    const { privateKey: key, kid } = signingKey(name);
    const { kty, n, e } = key.export({ format: 'jwk' });
    return { kty, n, e, kid, alg: 'RS256', use: 'sig' };
  };

  /** The tenant's users: the demo user, and those who signed up with a passkey (passkeys.mjs). */
  const profiles = new Map([[DEMO_USER.sub, { sub: DEMO_USER.sub, email: DEMO_USER.email, name: DEMO_USER.name, nickname: DEMO_USER.nickname }]]);
  const accountOf = (profile) => profile && {
    accountId: profile.sub,
    async claims() {
      return { ...profile, email_verified: true, updated_at: Math.floor(Date.now() / 1000) };
    },
  };
  const users = {
    bySub: (sub) => accountOf(profiles.get(sub)),
    byEmail: (email) => accountOf([...profiles.values()].find((profile) => profile.email === email)),
    create: ({ sub, email, name }) => {
      profiles.set(sub, { sub, email, name, nickname: email.split('@')[0] });
      return accountOf(profiles.get(sub));
    },
  };

  /** The MRRT policy, for the APIs this tenant knows. */
  const refreshTokenPolicy = MRRT_POLICY.filter(({ audience }) => audiences.includes(audience));
  /**
   * What each login asked for beyond OpenID Connect, by grant id (every authorization gets its
   * own grant, see loadExistingGrant; its codes and refresh tokens carry the grant id):
   * { audience: the API asked for, if any; organization: { id, name } if any }.
   * Kept in memory with the grants themselves (oidc-provider's in-memory adapter).
   */
  const logins = new Map();
  const loginOf = (ctx, token) => logins.get(token?.grantId ?? ctx?.oidc?.entities.Grant?.jti);

  /** An API of the tenant: JWT access tokens shaped like Auth0's; an unknown one is refused as Auth0 refuses it. */
  const resourceServerInfo = (resource) => {
    if (!audiences.includes(resource)) throw new errors.AccessDenied(`Service not found: ${resource}`);
    return {
      audience: resource,
      scope: [...OIDC_SCOPES, ...(API_SCOPES[resource] ?? [])].join(' '),
      accessTokenTTL: settings.accessTokenTTL,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'RS256' } },
    };
  };

  const provider = await quietly(() => new Provider(issuer, {
    clients: [{
      client_id: clientId,
      application_type: 'web',
      token_endpoint_auth_method: 'none',
      // Auth0's ID tokens always carry auth_time; and acr here (pwd unless MFA was asked).
      require_auth_time: true,
      default_acr_values: [ACR_PWD],
      grant_types: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT, WEBAUTHN_GRANT],
      response_types: ['code'],
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutRedirectUris,
    }],
    jwks: { keys: [jwk] },
    routes: {
      authorization: '/authorize',
      token: '/oauth/token',
      jwks: '/.well-known/jwks.json',
      userinfo: '/userinfo',
      revocation: '/oauth/revoke',
      end_session: '/oidc/logout',
    },
    scopes: [...OIDC_SCOPES],
    claims: {
      // org_id and org_name only ever come in ID tokens (see findAccount), and only for a
      // login into an organization.
      openid: ['sub', 'org_id', 'org_name', 'session_expiry'],
      email: ['email', 'email_verified'],
      profile: ['name', 'nickname', 'updated_at'],
    },
    acrValues: [ACR_PWD, ACR_MFA, ACR_MFA_AUTH0],
    // Auth0 puts the profile and email claims in the ID token of a code flow.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? settings.accessTokenTTL,
      IdToken: idTokenTTL,
      AuthorizationCode: 60,
      RefreshToken: 30 * 24 * 3600,
      Interaction: 600,
      Session: 24 * 3600,
      Grant: 30 * 24 * 3600,
    },
    // Over HTTPS, Auth0's cookie attributes: SameSite=None; Secure (oidc-provider's default is Lax).
    cookies: tls
      ? { keys: [randomUUID()], long: { sameSite: 'none', secure: true }, short: { sameSite: 'none', secure: true } }
      : { keys: [randomUUID()] },
    // The token (a code or refresh token) tells which login the account is used for: its
    // ID tokens carry the organization that login was into, as Auth0's do.
    findAccount: async (ctx, id, token) => {
      const account = users.bySub(id);
      if (!account) return undefined;
      const organization = loginOf(ctx, token)?.organization;
      // Auth0's session ceiling (IPSIE): the time, from the login, past which the session is over.
      const { AuthorizationCode, RefreshToken } = ctx?.oidc?.entities ?? {};
      const authTime = (AuthorizationCode ?? RefreshToken)?.authTime;
      const ceiling = settings.sessionCeiling && authTime ? { session_expiry: authTime + settings.sessionCeiling } : undefined;
      if (!organization && !ceiling) return account;
      return {
        accountId: account.accountId,
        async claims(use, ...rest) {
          const claims = await account.claims(use, ...rest);
          if (use !== 'id_token') return claims;
          return { ...claims, ...(organization ? { org_id: organization.id, org_name: organization.name } : undefined), ...ceiling };
        },
      };
    },
    // The access tokens carry the login's acr (as its ID tokens do) and organization; one
    // from a token exchange with an actor names it (RFC 8693 §4.1 `act`).
    extraTokenClaims: async (ctx, token) => {
      if (!token.resourceServer) return undefined;
      const { RefreshToken, AuthorizationCode } = ctx?.oidc?.entities ?? {};
      const login = loginOf(ctx, token);
      const acr = (RefreshToken ?? AuthorizationCode)?.acr ?? login?.acr;
      const organization = login?.organization;
      return { ...(acr ? { acr } : undefined), ...(organization ? { org_id: organization.id } : undefined), ...(login?.actor ? { act: { sub: login.actor } } : undefined) };
    },
    extraParams: {
      // Auth0's API selector. oidc-provider drops offline_access unless prompt=consent
      // (the OpenID rule); Auth0 does not, so it is restored here for the SPA client,
      // which runs after the scope check. With a refresh token, the login also gets the
      // scopes of the MRRT policy's other APIs (not those of the API it asked for: its token
      // stays as asked), so that a refresh_token grant may ask for them later.
      audience(ctx) {
        const asked = String(ctx.query?.scope ?? ctx.oidc.body?.scope ?? '').split(' ');
        const scopes = new Set(String(ctx.oidc.params.scope ?? '').split(' ').filter(Boolean));
        if (asked.includes('offline_access')) scopes.add('offline_access');
        if (scopes.has('offline_access')) {
          for (const { audience, scope } of refreshTokenPolicy) {
            if (audience !== ctx.oidc.params.audience) for (const name of scope) scopes.add(name);
          }
        }
        const scope = [...scopes].join(' ');
        if (scope && scope !== ctx.oidc.params.scope) ctx.oidc.params.scope = scope;
      },
      // Auth0 Organizations: an id, or a name in any case.
      organization(_ctx, value) {
        if (value !== undefined && !findOrganization(value)) {
          throw new errors.AccessDenied(`Organization not found: ${value}`);
        }
      },
      // An invitation link's code; it goes with the organization it invites to.
      invitation(ctx, value) {
        if (value !== undefined && ctx.oidc.params.organization === undefined) {
          throw new errors.InvalidRequest('invitation requires the organization parameter');
        }
      },
      connection: undefined,
      screen_hint: undefined,
    },
    features: {
      devInteractions: { enabled: false },
      // DPoP (RFC 9449), as Auth0 offers it; nonces on demand (settings.requireDpopNonce).
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => settings.requireDpopNonce },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // No confirmation screen: submit the logout form at once (no inline script needed),
        // ending the whole provider session as Auth0's logout does (logout=yes).
        logoutSource: async (ctx, form) => {
          const confirmed = form.replace('<form', '<form hidden').replace('</form>', '<input type="hidden" name="logout" value="yes"></form>');
          ctx.body = `<!doctype html><html><head><title>Signing out</title></head><body>${confirmed}
            <p>Signing out…</p><script src="/interaction-assets/autosubmit.js"></script></body></html>`;
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = '<!doctype html><title>Signed out</title><p>You are signed out.</p>';
        },
      },
      resourceIndicators: {
        enabled: true,
        // At /authorize: the API the login asks for (`audience`), then those of the MRRT policy,
        // so that its refresh tokens may be used for them (RFC 8707 resources of the grant).
        // At /oauth/token (`oneOf`: the resources of the code or refresh token): the login's
        // API, as before, or none (an opaque token for /userinfo) when it asked for none. When
        // a refresh_token grant's `audience` was outside the policy, the body middleware left it
        // unmapped: it is ignored, and the token is for the login's API, else the default one.
        defaultResource: (ctx, _client, oneOf) => {
          if (!oneOf) {
            const asked = ctx.oidc.params.audience || undefined;
            const resources = [...new Set([asked, ...refreshTokenPolicy.map(({ audience }) => audience)].filter(Boolean))];
            return resources.length ? resources : undefined;
          }
          const ignoredAudience = ctx.oidc.params.grant_type === 'refresh_token' && ctx.oidc.body?.audience !== undefined;
          const resource = loginOf(ctx)?.audience ?? (ignoredAudience ? DEFAULT_AUDIENCE : undefined);
          return oneOf.includes(resource) ? resource : undefined;
        },
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => resourceServerInfo(resource),
      },
    },
    formats: {
      customizers: {
        // Shape the JWT access token like Auth0's.
        jwt(_ctx, token, jwt) {
          jwt.header = { ...jwt.header, typ: 'JWT' };
          jwt.payload.aud = [jwt.payload.aud, `${issuer}userinfo`].flat();
          jwt.payload.azp = token.clientId;
          delete jwt.payload.client_id;
          return jwt;
        },
      },
    },
    clientBasedCORS: (_ctx, origin, client) =>
      client.redirectUris.some((uri) => new URL(uri).origin === origin),
    // First-party SPA: no consent screen. Grant what was asked for, as Auth0 does for
    // first-party applications (with the MRRT policy's APIs, see defaultResource). Each
    // authorization gets its own grant, which remembers what that login was for (`logins`).
    loadExistingGrant: async (ctx) => {
      const { Grant } = ctx.oidc.provider;
      const grant = new Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
      grant.addOIDCClaims(['sub', 'email', 'email_verified', 'name', 'nickname', 'updated_at', 'org_id', 'org_name']);
      for (const [resource, { scopes }] of Object.entries(ctx.oidc.resourceServers ?? {})) {
        grant.addResourceScope(resource, [...ctx.oidc.requestParamScopes, ...String(scopes ?? '').split(' ')].join(' '));
      }
      await grant.save();
      logins.set(grant.jti, {
        audience: ctx.oidc.params.audience || undefined,
        organization: findOrganization(ctx.oidc.params.organization),
      });
      // The level of this authorization (its code's acr): MFA only when the login form was
      // submitted in this very interaction for a request asking for MFA (see loginPage); an
      // authorization that reuses the session, without the form, is a password-level one.
      if (!ctx.oidc.result?.login) ctx.oidc.session.acr = ACR_PWD;
      return grant;
    },
    interactions: {
      url: (_ctx, interaction) => `/u/login/${interaction.uid}`,
      policy: stepUpPolicy(interactionPolicy),
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Error</title><h1>${escapeHtml(out.error)}</h1><p>${escapeHtml(out.error_description ?? '')}</p>`;
    },
  }));
  provider.proxy = false;
  // Auth0's Custom Token Exchange, with a legacy identity system's tokens (token-exchange.mjs).
  const tenant = {
    defaultAudience: DEFAULT_AUDIENCE,
    resourceServer: resourceServerInfo,
    findOrganization,
    remember: (grantId, login) => logins.set(grantId, login),
    acr: ACR_PWD,
    refreshTokenPolicy,
  };
  registerTokenExchange(provider, errors, { ...tenant, accountByEmail: users.byEmail });
  // Auth0's native passkey API (passkeys.mjs).
  const passkeys = registerPasskeys(provider, errors, { ...tenant, clientId, rpId: passkeyRpId, origins: () => webOrigins, ceremonyTimeout: () => settings.passkeyTimeoutMs, users });
  // A 500 from the local tenant is a bug in this file: make it visible.
  provider.on('server_error', (_ctx, err) => console.error('local provider server_error:', err));
  provider.on('grant.revoked', (_ctx, grantId) => logins.delete(grantId));

  const oidc = provider.callback();

  handle = async (req, res) => {
    const url = new URL(req.url, issuer);
    try {
      if (url.pathname === '/favicon.ico') {
        res.statusCode = 204;
        return res.end();
      }
      if (url.pathname === '/interaction-assets/autosubmit.js') {
        res.setHeader('content-type', 'text/javascript');
        return res.end("document.forms[0]?.requestSubmit?.() ?? document.forms[0]?.submit();\n");
      }
      if (url.pathname.startsWith('/u/login/')) {
        return await loginPage(req, res, url);
      }
      if (url.pathname.startsWith('/passkey/')) {
        requests.push({ method: req.method, path: url.pathname, at: Date.now(), headers: { origin: req.headers.origin } });
        if (await passkeys(req, res, url)) return undefined;
      }
      if (req.method === 'POST' && (url.pathname === '/oauth/token' || url.pathname === '/oauth/revoke')) {
        await acceptJsonBody(req);
      }
      requests.push({
        method: req.method,
        path: url.pathname,
        params: Object.fromEntries(url.searchParams),
        body: req.body ? Object.fromEntries(new URLSearchParams(req.body)) : undefined,
        headers: { origin: req.headers.origin, 'content-type': req.sentContentType ?? req.headers['content-type'], referer: req.headers.referer, dpop: req.headers.dpop },
      });
      if (req.method === 'POST' && url.pathname === '/oauth/token') {
        applyRefreshTokenPolicy(req);
        recordIssuedRefreshToken(res);
      }
      if (faults.token?.drop) res.setHeader('connection', 'close');
      if (faults.authorization && url.pathname.startsWith('/authorize')) {
        // Rewrite the redirect back to the client on its way out.
        const setHeader = res.setHeader.bind(res);
        res.setHeader = (name, value) => setHeader(name, name.toLowerCase() === 'location' && redirectUris.some((uri) => String(value).startsWith(uri))
          ? tamperAuthorizationResponse(String(value), faults.authorization, issuer)
          : value);
      }
      if ((faults.token || faults.idToken) && req.method === 'POST' && url.pathname === '/oauth/token') {
        if (await hostileTokenEndpoint(req, res, faults, { issuer, signingKey })) return undefined;
      }
      if (faults.authorization?.hang && url.pathname === '/authorize') {
        return undefined; // never answers; the socket closes with the server
      }
      if (faults.authorization?.noContent && url.pathname === '/authorize') {
        return res.writeHead(204).end(); // the browser stays on the page that sent it
      }
      if (faults.authorization?.frameRefused && url.pathname === '/authorize') {
        // A login page that refuses to be framed, as some SSO servers answer prompt=none with nobody logged in.
        res.writeHead(200, { 'content-type': 'text/html', 'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'" });
        return res.end('<!doctype html><title>Sign in</title><form><input name="user"></form>');
      }
      if (faults.jwks && url.pathname === '/.well-known/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'cache-control': 'no-store' });
        return res.end(JSON.stringify({ keys: faults.jwks.map(publicJwk) }));
      }
      if (faults.revocation === 'error' && url.pathname === '/oauth/revoke') {
        res.writeHead(500, { 'access-control-allow-origin': req.headers.origin ?? '*' });
        return res.end('revocation is broken (test fault)');
      }
      if (url.pathname === '/userinfo' && (req.method === 'GET' || req.method === 'POST') && JWT_CREDENTIALS.test(req.headers.authorization ?? '')) {
        return await jwtUserinfo(req, res, url);
      }
      return oidc(req, res);
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err?.message ?? err));
    }
  };

  // Auth0's /userinfo answers for the JWT access tokens it issues for an API, since their aud
  // includes <issuer>userinfo. oidc-provider's /userinfo cannot: it refuses every access token
  // that has an audience, and it does not keep JWT access tokens to look them up. Those are
  // answered here, checked as a resource server checks them (signature, iss, aud, exp, and
  // for a DPoP-bound token its proof); opaque tokens still go to oidc-provider. As with
  // Auth0, a JWT access token stays good here until it expires.
  const accessTokenKeys = createLocalJWKSet({ keys: [publicJwk('primary')] });
  const seenProofs = createJtiCache();
  async function jwtUserinfo(req, res, url) {
    const origin = req.headers.origin;
    const cors = origin && redirectUris.some((uri) => new URL(uri).origin === origin)
      ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'WWW-Authenticate, DPoP-Nonce', vary: 'Origin' }
      : { vary: 'Origin' };
    const [, scheme, token] = JWT_CREDENTIALS.exec(req.headers.authorization);
    const dpop = scheme.toLowerCase() === 'dpop';
    const answer = (status, body, extra = {}) => {
      res.writeHead(status, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store', ...extra });
      res.end(JSON.stringify(body));
    };
    const refuse = (status, error, description) => answer(status, { error, error_description: description },
      { 'www-authenticate': `${dpop ? 'DPoP' : 'Bearer'} error="${error}", error_description="${description.replace(/["\\]/g, "'")}"` });
    let payload;
    try {
      ({ payload } = await jwtVerify(token, accessTokenKeys, { issuer, audience: `${issuer}userinfo`, algorithms: ['RS256'] }));
      const jkt = payload.cnf?.jkt;
      if (jkt && !dpop) throw new Error('the access token is DPoP-bound: send it with Authorization: DPoP and a proof');
      if (!jkt && dpop) throw new Error('the access token is not DPoP-bound');
      if (jkt) await verifyDpopProof(req.headers.dpop, { method: req.method, url, accessToken: token, jkt, seen: seenProofs });
    } catch (err) {
      return refuse(401, 'invalid_token', String(err?.message ?? err));
    }
    const scopes = new Set(String(payload.scope ?? '').split(' '));
    if (!scopes.has('openid')) return refuse(403, 'insufficient_scope', 'access token missing openid scope');
    const account = users.bySub(payload.sub);
    if (!account) return refuse(401, 'invalid_token', 'associated account not found');
    const claims = await account.claims();
    const body = { sub: payload.sub };
    for (const scope of scopes) for (const name of USERINFO_CLAIMS[scope] ?? []) body[name] = claims[name];
    return answer(200, body);
  }

  // Auth0 accepts JSON at /oauth/token; oidc-provider only form bodies. Read the body
  // here and hand it on as a parsed form body (oidc-provider reads req.body then).
  async function acceptJsonBody(req) {
    const raw = await readBody(req, 64 * 1024);
    let form = raw;
    req.sentContentType = req.headers['content-type'];
    if (/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      try {
        const json = JSON.parse(raw);
        // An object (the passkey grant's authn_response) is handed on as its JSON.
        form = new URLSearchParams(Object.entries(json).map(([k, v]) => [k, v && typeof v === 'object' ? JSON.stringify(v) : String(v)])).toString();
      } catch {
        form = '';
      }
      req.headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    req.headers['content-length'] = String(Buffer.byteLength(form));
    req.body = form;
  }

  // Auth0's MRRT: a refresh_token grant names the API it wants a token for with `audience`.
  // oidc-provider's refresh grant takes a resource indicator (RFC 8707) from those the refresh
  // token was granted (the login's API and the policy's, see defaultResource): an audience of
  // the policy becomes `resource`, and the asked scopes are cut to the OpenID ones and that
  // API's policy scopes. An audience outside the policy (or unknown) stays as it came, which
  // oidc-provider ignores: defaultResource then picks the login's API (or the default one),
  // and the asked scopes are cut to the OpenID ones. Without `audience`, nothing changes.
  function applyRefreshTokenPolicy(req) {
    const params = new URLSearchParams(req.body);
    if (params.get('grant_type') !== 'refresh_token' || !params.has('audience') || params.has('resource')) return;
    const audience = params.get('audience');
    const policy = refreshTokenPolicy.find((entry) => entry.audience === audience);
    const allowed = new Set([...OIDC_SCOPES, ...(policy?.scope ?? [])]);
    if (params.has('scope')) {
      const scope = params.get('scope').split(' ').filter((name) => allowed.has(name));
      if (scope.length) params.set('scope', scope.join(' '));
      else params.delete('scope');
    }
    if (policy) {
      params.delete('audience');
      params.set('resource', audience);
    }
    req.body = params.toString();
    req.headers['content-length'] = String(Buffer.byteLength(req.body));
  }

  async function loginPage(req, res, url) {
    const uid = url.pathname.split('/')[3];
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req, 16 * 1024));
      const ok = form.get('email')?.toLowerCase() === DEMO_USER.email && form.get('password') === DEMO_USER.password;
      if (!ok) return sendHtml(res, 200, loginForm(uid, details.params, 'Wrong email or password.'));
      // Simulated MFA: when the request asks for it, this form stands for the second factor.
      const acr = mfaAsked(details.params.acr_values) ?? ACR_PWD;
      return provider.interactionFinished(req, res, { login: { accountId: DEMO_USER.sub, acr } }, { mergeWithLastSubmission: false });
    }
    if (details.prompt.name !== 'login') {
      // Consent is granted by loadExistingGrant; nothing to ask.
      return provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
    }
    return sendHtml(res, 200, loginForm(uid, details.params), settings.openerPolicy ? { 'cross-origin-opener-policy': settings.openerPolicy } : {});
  }

  return {
    issuer,
    clientId,
    port: boundPort,
    provider,
    requests,
    issuedRefreshTokens,
    /** Auth0's "Allowed Web Origins", where passkeys may be used: a test may add one. */
    webOrigins,
    /** Why each refused passkey grant was refused (passkeys.mjs). */
    passkeyRefusals: passkeys.refusals,
    settings,
    faults,
    /**
     * Closes the keep-alive connections browsers hold open to the provider. Chromium silently
     * sends a request again when a reused connection dies before any answer, so a test of a
     * dropped connection (faults.token.drop) calls this first to see one request, as on a
     * fresh connection.
     */
    closeIdleConnections: () => server.closeIdleConnections?.(),
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/**
 * oidc-provider's interaction policy plus Auth0-like step-up: a request whose acr_values ask
 * for MFA needs the login form (standing for the second factor here) even when a session
 * exists, unless the form was submitted in this very interaction. With prompt=none that is
 * login_required.
 */
function stepUpPolicy({ base, Check }) {
  const policy = base();
  policy.get('login').checks.add(new Check('step_up', 'a login with the second factor is required', 'login_required', (ctx) =>
    (asksForMfa(ctx.oidc.params.acr_values) && !ctx.oidc.result?.login ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT)));
  return policy;
}

function loginForm(uid, params, message = '') {
  const organization = findOrganization(params.organization);
  const notes = [
    asksForMfa(params.acr_values) ? 'This app asks for a stronger login (multi-factor; here, logging in again stands for it).' : '',
    organization ? `Organization: ${organization.name}` : '',
  ].filter(Boolean).map((note) => `<p class="hint">${escapeHtml(note)}</p>\n`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in | Closo local tenant</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:16px/1.5 system-ui,sans-serif;background:#eef1f5;margin:0;display:grid;place-items:center;min-height:100vh}
main{background:#fff;padding:2rem 2.5rem;border-radius:12px;box-shadow:0 4px 24px #0002;width:min(22rem,90vw)}
h1{font-size:1.3rem;margin:0 0 .25rem}p.hint{color:#555;font-size:.85rem;margin:0 0 1.25rem}
label{display:block;font-size:.9rem;margin:.75rem 0 .25rem}input{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #888;border-radius:6px;font:inherit}
button{margin-top:1.25rem;width:100%;padding:.7rem;border:0;border-radius:6px;background:#3e3ad6;color:#fff;font:inherit;font-weight:600;cursor:pointer}
.error{color:#b00020;font-size:.9rem}
</style></head>
<body><main>
<h1>Log in</h1>
<p class="hint">Local Auth0-like tenant. Demo user: ${escapeHtml(DEMO_USER.email)} / ${escapeHtml(DEMO_USER.password)}</p>
${notes}${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/u/login/${escapeHtml(uid)}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" value="${escapeHtml(params.login_hint ?? '')}" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Continue</button>
</form></main></body></html>`;
}

/**
 * oidc-provider prints notices meant for production deployments (runtime version,
 * in-memory adapter, the pre-parsed body used for Auth0's JSON token requests).
 * They say nothing about this local tenant, so they are dropped; other output stays.
 */
const EXPECTED_NOTICES = [/Unsupported runtime/, /already parsed request body/, /in-memory adapter/, /NOTICE:/];
function silenceExpectedNotices() {
  for (const level of ['info', 'warn']) {
    const original = console[level];
    if (original.closoFiltered) continue;
    const filtered = (...args) => {
      const text = String(args[0]);
      if (text.includes('oidc-provider') && EXPECTED_NOTICES.some((re) => re.test(text))) return;
      original(...args);
    };
    filtered.closoFiltered = true;
    console[level] = filtered;
  }
}

async function quietly(fn) {
  silenceExpectedNotices();
  return fn();
}
