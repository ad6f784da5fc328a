// Serves the demo page (and the test fixtures) with a strict Content-Security-Policy,
// plus a small API standing in for https://api.thecloso.com that verifies the access token
// (/api/claims; /api/sensitive, which demands a step-up login) and one standing in for the
// second API, https://api2.thecloso.com (/api2/reports).
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createJtiCache, verifyDpopProof } from './dpop-proof.mjs';
import { escapeHtml, listenLoopback, sendHtml, sendJson, serveStatic } from './http.mjs';
import { ACR_MFA, SECOND_AUDIENCE } from './provider.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
export const ROOT = here('../../');
export { createJtiCache } from './dpop-proof.mjs';

/**
 * @param {object} options
 * @param {string} options.issuer the OpenID Provider's issuer URL (ending in "/" for Auth0).
 * @param {string} options.clientId
 * @param {string} options.audience the API identifier.
 * @param {number} [options.port]
 * @param {string} [options.host]
 * @param {{ key: string, cert: string }} [options.tls] serve HTTPS with this certificate.
 * @param {Record<string,string|{dir:string,scriptSrc?:Record<string,string>,sources?:Record<string,Record<string,string>>}>} [options.pages]
 *   extra URL path prefix → folder of HTML fixtures; `scriptSrc` adds script-src sources for named
 *   pages (the just-in-time Angular fixture compiles its templates in the page, which needs 'unsafe-eval');
 *   `sources` adds sources to any directive of a named page's policy (page → directive → sources).
 */
export async function startDemoServer({ port = 0, host = '127.0.0.1', pages: pageOptions = {}, tls, ...provider }) {
  const pages = Object.fromEntries(Object.entries(pageOptions).map(([prefix, value]) => [prefix, typeof value === 'string' ? value : value.dir]));
  // Benchmark pages run third-party libraries as their docs show them (auth0-spa-js starts a blob: worker): no policy.
  const withoutCsp = Object.entries(pageOptions).filter(([, value]) => value.csp === false).map(([prefix]) => prefix);
  // Page path → directive → sources it adds to the policy (`scriptSrc` is short for script-src).
  const extraSources = {};
  for (const [prefix, value] of Object.entries(pageOptions)) {
    for (const [file, source] of Object.entries(value.scriptSrc ?? {})) extraSources[`${prefix}${file}`] = { 'script-src': source };
    for (const [file, directives] of Object.entries(value.sources ?? {})) extraSources[`${prefix}${file}`] = { ...extraSources[`${prefix}${file}`], ...directives };
  }
  let origin = '';
  let issuer, clientId, audience, jwks, csp, headers;
  // The provider needs the demo's origin for its redirect URIs, and the demo needs the
  // issuer: the server listens first and is told about the provider afterwards.
  const setProvider = (settings) => {
    ({ issuer, clientId, audience } = settings);
    jwks = createRemoteJWKSet(new URL('.well-known/jwks.json', issuer));
    csp = contentSecurityPolicy(new URL(issuer).origin);
    headers = { 'content-security-policy': csp, 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' };
  };
  if (provider.issuer) setProvider(provider);

  const values = () => ({ issuer, clientId, audience, origin, redirectUri: `${origin}/callback` });
  const template = (html) => html.replace(/\{\{(\w+)\}\}/g, (_, name) => escapeHtml(values()[name] ?? ''));

  // Long URLs are accepted (Node's default caps the request head at 16 KB), so that tests can
  // land on oversized callback URLs and see the element refuse them, not the server.
  const server = (tls ? createHttpsServer : createServer)({ maxHeaderSize: 1024 * 1024, ...tls }, async (req, res) => {
    const url = new URL(req.url, origin);
    if (!issuer) return sendHtml(res, 503, 'starting');
    try {
      if (url.pathname === '/api/claims') return await api(req, res);
      if (url.pathname === '/api/sensitive') return await api(req, res, { acr: ACR_MFA });
      if (url.pathname === '/api2/reports') return await api(req, res, { audience: SECOND_AUDIENCE });
      if (url.pathname === '/favicon.ico') return res.writeHead(204).end();
      if (url.pathname === '/' || url.pathname === '/callback') {
        return sendHtml(res, 200, template(await readFile(here('../index.html'), 'utf8')), headers);
      }
      if (url.pathname === '/passkeys') return sendHtml(res, 200, template(await readFile(here('../passkeys.html'), 'utf8')), headers);
      for (const [prefix, dir] of Object.entries(pages)) {
        if (url.pathname.startsWith(prefix) && url.pathname.endsWith('.html')) {
          const file = `${dir}/${url.pathname.slice(prefix.length)}`;
          if (file.includes('..')) break;
          const pageHeaders = withoutCsp.includes(prefix)
            ? { 'cache-control': 'no-store' }
            : extraSources[url.pathname]
              ? { ...headers, 'content-security-policy': withSources(csp, extraSources[url.pathname]) }
              // A page named *-no-worker.html forbids workers: closo-login keeps its refresh token in the page.
              : url.pathname.endsWith('-no-worker.html')
                ? { ...headers, 'content-security-policy': withSources(csp, { 'worker-src': "'none'" }) }
                // A page named *-isolated.html cuts itself off from windows of other origins, as apps that need cross-origin isolation do.
                : url.pathname.endsWith('-isolated.html')
                  ? { ...headers, 'cross-origin-opener-policy': 'same-origin' }
                  : headers;
          return sendHtml(res, 200, template(await readFile(file, 'utf8')), pageHeaders);
        }
      }
      // Scripts are served as a static file server does, without the pages' policy: a worker
      // (closo-login's token vault) is governed by its own response's CSP, not its page's.
      const fileHeaders = url.pathname.endsWith('.js') ? { 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' } : headers;
      if (await serveStatic(req, res, url.pathname, { '/dist/': `${ROOT}dist`, '/demo/': `${ROOT}demo`, ...pages }, fileHeaders)) return;
      sendHtml(res, 404, '<!doctype html><title>Not found</title><p>Not found</p>', headers);
    } catch (err) {
      if (err?.code === 'ENOENT') return sendHtml(res, 404, '<!doctype html><title>Not found</title><p>Not found</p>', headers);
      sendJson(res, 500, { error: 'server_error', message: String(err?.message ?? err) });
    }
  });

  /** Test-only: make the API demand a DPoP nonce (RFC 9449 §9), as some resource servers do. */
  const apiSettings = { dpopNonce: null };
  /** jti of the proofs accepted within their freshness window: a proof is good for one request (RFC 9449 §11.1). */
  const seenProofs = createJtiCache();

  /**
   * The demo API: a JWT access token verified against the provider's JWKS, iss, aud and exp.
   * A DPoP-bound token (cnf.jkt) is accepted only with `Authorization: DPoP` and a valid proof
   * for this request (RFC 9449 §7), signed by the key it is bound to.
   * @param {object} [route]
   * @param {string} [route.audience] the API this route belongs to (default: the demo's audience).
   * @param {string} [route.acr] the authentication context the token must come from; a token
   *   from a weaker login gets RFC 9470's insufficient_user_authentication challenge.
   */
  async function api(req, res, { audience: routeAudience = audience, acr } = {}) {
    const match = /^(Bearer|DPoP) ([A-Za-z0-9._~+/-]+=*)$/.exec(req.headers.authorization ?? '');
    const challenge = (scheme, error, extra = {}) => ({ 'www-authenticate': `${scheme} realm="demo", error="${error}"`, ...extra });
    if (!match) return sendJson(res, 401, { error: 'invalid_request', message: 'Send Authorization: Bearer (or DPoP) <access token>.' }, challenge('Bearer', 'invalid_request'));
    const [, scheme, token] = match;
    try {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer, audience: routeAudience, algorithms: ['RS256'] });
      const boundTo = payload.cnf?.jkt;
      if (scheme === 'Bearer' && boundTo) throw new Error('this access token is DPoP-bound: send it with Authorization: DPoP and a proof');
      if (scheme === 'DPoP') {
        if (!boundTo) throw new Error('this access token is not DPoP-bound');
        const url = new URL(req.url, origin);
        const checked = await verifyDpopProof(req.headers.dpop, { method: req.method, url, accessToken: token, jkt: boundTo, seen: seenProofs, nonce: apiSettings.dpopNonce });
        if (checked === 'use_dpop_nonce') {
          return sendJson(res, 401, { error: 'use_dpop_nonce' }, challenge('DPoP', 'use_dpop_nonce', { 'dpop-nonce': apiSettings.dpopNonce }));
        }
      }
      if (acr && payload.acr !== acr) {
        // RFC 9470 §3: the token is good, the login behind it is not strong enough.
        const description = 'A stronger login is required';
        return sendJson(res, 401, { error: 'insufficient_user_authentication', error_description: description, acr_values: acr }, {
          'www-authenticate': `${scheme} error="insufficient_user_authentication", error_description="${description}", acr_values="${acr}"`,
        });
      }
      sendJson(res, 200, { message: 'The API accepted your access token.', scheme, header: protectedHeader, claims: payload });
    } catch (err) {
      sendJson(res, 401, { error: 'invalid_token', message: String(err?.message ?? err) }, challenge(scheme, 'invalid_token'));
    }
  }

  const bound = await listenLoopback(server, port, host, tls);
  origin = `${tls ? 'https' : 'http'}://${host}:${bound}`;
  return {
    origin,
    setProvider,
    apiSettings,
    get csp() { return csp; },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/** `csp` with more sources for some directives (a directive it lacks is added). */
function withSources(csp, directives) {
  let policy = csp;
  for (const [directive, sources] of Object.entries(directives)) {
    const pattern = new RegExp(`(^|; )${directive} ([^;]*)`);
    policy = pattern.test(policy) ? policy.replace(pattern, `$1${directive} $2 ${sources}`) : `${policy}; ${directive} ${sources}`;
  }
  return policy;
}

/** A strict policy: no inline script or style, no eval, Trusted Types required. */
function contentSecurityPolicy(issuerOrigin) {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self' ${issuerOrigin}`,
    // The silent sign-in iframe goes to the provider and comes back to this origin.
    `frame-src 'self' ${issuerOrigin}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
    "require-trusted-types-for 'script'",
  ].join('; ');
}
