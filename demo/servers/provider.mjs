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
// - /userinfo accepts the JWT access token of an API whose aud includes <issuer>userinfo.
import { createServer } from 'node:http';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createJtiCache, verifyDpopProof } from './dpop-proof.mjs';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { listenLoopback, readBody, sendHtml, escapeHtml } from './http.mjs';
import { hostileTokenEndpoint, tamperAuthorizationResponse } from './hostile.mjs';

export const DEMO_USER = Object.freeze({
  sub: 'auth0|64f1c0de0000000000000001',
  email: 'demo@closo.test',
  password: 'closo-demo',
  name: 'Dana Demo',
  nickname: 'dana',
});

export const DEFAULT_AUDIENCE = 'https://api.thecloso.com';
export const DEFAULT_CLIENT_ID = 'closo-demo-spa';
const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
/** Claims /userinfo returns per scope, as the provider's `claims` setting below. */
const USERINFO_CLAIMS = { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'nickname', 'updated_at'] };
/** A JWT access token presented to /userinfo (an opaque one goes to oidc-provider). */
const JWT_CREDENTIALS = /^(Bearer|DPoP) ([\w-]+\.[\w-]+\.[\w-]+)$/i;
const API_SCOPES = ['read:messages'];

/**
 * Starts the provider on a loopback port.
 * @param {object} [options]
 * @param {number} [options.port] 0 picks a free port.
 * @param {string} [options.host] host name used in the issuer URL (localhost or 127.0.0.1).
 * @param {string} [options.clientId]
 * @param {string[]} options.redirectUris exact redirect URIs of the SPA (Auth0's "Allowed Callback URLs").
 * @param {string[]} [options.postLogoutRedirectUris]
 * @param {string[]} [options.audiences] API identifiers the tenant knows.
 * @param {number} [options.accessTokenTTL] seconds; can be changed later through `settings`.
 * @param {number} [options.idTokenTTL] seconds.
 */
export async function startProvider({
  port = 0,
  host = '127.0.0.1',
  clientId = DEFAULT_CLIENT_ID,
  redirectUris,
  postLogoutRedirectUris = [],
  audiences = [DEFAULT_AUDIENCE],
  accessTokenTTL = 3600,
  idTokenTTL = 3600,
} = {}) {
  // The issuer must be known before the provider is built, so the server listens first.
  let handle = (_req, res) => { res.statusCode = 503; res.end(); };
  const server = createServer((req, res) => handle(req, res));
  const boundPort = await listenLoopback(server, port, host);
  const issuer = `http://${host}:${boundPort}/`;

  /** Requests the provider saw, for tests: { method, path, params, body, headers }. */
  const requests = [];
  /** Settings a test may change while the provider runs. */
  const settings = { accessTokenTTL, requireDpopNonce: false };
  /**
   * Test-only faults ("hostile mode", see hostile.mjs): { authorization, token, idToken, jwks,
   * revocation: 'error' }. Empty, so off, unless a test sets them.
   */
  const faults = {};

  const { default: Provider, errors } = await quietly(() => import('oidc-provider'));
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

  const account = {
    accountId: DEMO_USER.sub,
    async claims() {
      return {
        sub: DEMO_USER.sub,
        email: DEMO_USER.email,
        email_verified: true,
        name: DEMO_USER.name,
        nickname: DEMO_USER.nickname,
        updated_at: Math.floor(Date.now() / 1000),
      };
    },
  };

  const provider = await quietly(() => new Provider(issuer, {
    clients: [{
      client_id: clientId,
      application_type: 'web',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
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
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'nickname', 'updated_at'],
    },
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
    cookies: { keys: [randomUUID()] },
    findAccount: async (_ctx, id) => (id === DEMO_USER.sub ? account : undefined),
    extraParams: {
      // Auth0's API selector. oidc-provider drops offline_access unless prompt=consent
      // (the OpenID rule); Auth0 does not, so it is restored here for the SPA client,
      // which runs after the scope check.
      audience(ctx) {
        const asked = String(ctx.query?.scope ?? ctx.oidc.body?.scope ?? '').split(' ');
        const scopes = new Set(String(ctx.oidc.params.scope ?? '').split(' ').filter(Boolean));
        if (asked.includes('offline_access') && !scopes.has('offline_access')) {
          scopes.add('offline_access');
          ctx.oidc.params.scope = [...scopes].join(' ');
        }
      },
      organization: undefined,
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
        defaultResource: (ctx) => ctx.oidc.params.audience || undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => {
          if (!audiences.includes(resource)) {
            throw new errors.AccessDenied(`Service not found: ${resource}`);
          }
          return {
            audience: resource,
            scope: [...OIDC_SCOPES, ...API_SCOPES].join(' '),
            accessTokenTTL: settings.accessTokenTTL,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
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
    // first-party applications.
    loadExistingGrant: async (ctx) => {
      const { Grant } = ctx.oidc.provider;
      const grant = new Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
      grant.addOIDCClaims(['sub', 'email', 'email_verified', 'name', 'nickname', 'updated_at']);
      for (const [resource, { scopes }] of Object.entries(ctx.oidc.resourceServers ?? {})) {
        grant.addResourceScope(resource, [...ctx.oidc.requestParamScopes, ...String(scopes ?? '').split(' ')].join(' '));
      }
      await grant.save();
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `/u/login/${interaction.uid}` },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Error</title><h1>${escapeHtml(out.error)}</h1><p>${escapeHtml(out.error_description ?? '')}</p>`;
    },
  }));
  provider.proxy = false;
  // A 500 from the local tenant is a bug in this file: make it visible.
  provider.on('server_error', (_ctx, err) => console.error('local provider server_error:', err));

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
      if (req.method === 'POST' && (url.pathname === '/oauth/token' || url.pathname === '/oauth/revoke')) {
        await acceptJsonBody(req);
      }
      requests.push({
        method: req.method,
        path: url.pathname,
        params: Object.fromEntries(url.searchParams),
        body: req.body ? Object.fromEntries(new URLSearchParams(req.body)) : undefined,
        headers: { origin: req.headers.origin, 'content-type': req.headers['content-type'], referer: req.headers.referer },
      });
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
    if (payload.sub !== account.accountId) return refuse(401, 'invalid_token', 'associated account not found');
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
    if (/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      try {
        const json = JSON.parse(raw);
        form = new URLSearchParams(Object.entries(json).map(([k, v]) => [k, String(v)])).toString();
      } catch {
        form = '';
      }
      req.headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    req.headers['content-length'] = String(Buffer.byteLength(form));
    req.body = form;
  }

  async function loginPage(req, res, url) {
    const uid = url.pathname.split('/')[3];
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req, 16 * 1024));
      const ok = form.get('email')?.toLowerCase() === DEMO_USER.email && form.get('password') === DEMO_USER.password;
      if (!ok) return sendHtml(res, 200, loginForm(uid, details.params, 'Wrong email or password.'));
      return provider.interactionFinished(req, res, { login: { accountId: DEMO_USER.sub } }, { mergeWithLastSubmission: false });
    }
    if (details.prompt.name !== 'login') {
      // Consent is granted by loadExistingGrant; nothing to ask.
      return provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
    }
    return sendHtml(res, 200, loginForm(uid, details.params));
  }

  return {
    issuer,
    clientId,
    port: boundPort,
    provider,
    requests,
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

function loginForm(uid, params, message = '') {
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
${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : ''}
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
