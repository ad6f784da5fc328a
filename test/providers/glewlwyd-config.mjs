// What a private Glewlwyd 2.7.5 (Debian's `glewlwyd`) is told: its server configuration file,
// and the OpenID Connect plugin's parameters. Each setting says why it is there; what is left
// out keeps Glewlwyd's default. Used by glewlwyd.mjs, which starts it.
import { generateKeyPairSync, randomUUID } from 'node:crypto';

/** Where Debian installs Glewlwyd's modules (the user, client, scheme and plugin .so files). */
const MODULES = '/usr/lib/glewlwyd';

/** The plugin instance's name: it is also its URL path, `/api/<name>`, so part of the issuer. */
export const PLUGIN_NAME = 'oidc';

/** A libconfig string: quoted, with `"` and `\` escaped. */
const str = (value) => `"${String(value).replace(/[\\"]/g, '\\$&')}"`;

/** File types the webapp is made of. Without a type, Glewlwyd answers `application/octet-stream`, and the login page's CSS and fonts would not apply. */
const MIME_TYPES = {
  '.html': 'text/html', '.css': 'text/css', '.js': 'application/javascript', '.json': 'application/json',
  '.png': 'image/png', '.ico': 'image/x-icon', '.svg': 'image/svg+xml', '.map': 'application/json',
  '.ttf': 'font/ttf', '.woff': 'font/woff', '.woff2': 'font/woff2', '.eot': 'application/vnd.ms-fontobject',
};

/**
 * glewlwyd.conf for one run.
 * @param {{ port: number, origin: string, webapp: string, database: string, allowOrigin: string }} options
 */
export function serverConfig({ port, origin, webapp, database, allowOrigin }) {
  const mimeTypes = Object.entries(MIME_TYPES)
    .map(([extension, type]) => `  { extension = ${str(extension)} mime_type = ${str(type)} compress = ${/text|javascript|json|svg/.test(type) ? 1 : 0} }`)
    .join(',\n');
  return `# Written by test/providers/glewlwyd-config.mjs for one test run; removed with it.
# A free port, on loopback only: nothing outside this machine reaches it.
port = ${port}
bind_address = ${str('127.0.0.1')}
# What Glewlwyd builds its own URLs from (the login page, the plugin's endpoints): where the browser reaches it.
external_url = ${str(origin)}
login_url = ${str('login.html')}
api_prefix = ${str('api')}
# A real copy of Debian's webapp: its file server answers 404 for the symlinks Debian installs there.
static_files_path = ${str(webapp)}
static_files_mime_types = (
${mimeTypes}
)
# The page's origin may call the token, revocation and userinfo endpoints from the browser (CORS).
allow_origin = ${str(allowOrigin)}
# Plain HTTP on loopback: a Secure session cookie would never come back, so nobody could log in.
cookie_secure = 0
# add_x_frame_option_header_deny keeps its default (deny): the silent sign-in's frame only ever
# gets redirects from Glewlwyd (prompt=none shows no page), which that header does not stop.
# No cookie_domain: the session cookie stays host-only on 127.0.0.1 (Glewlwyd logs a warning about it).
session_key = ${str('GLEWLWYD2_SESSION_ID')}
# Everything on the console, which glewlwyd.mjs keeps in a file of the run for a failing test to show.
log_mode = ${str('console')}
log_level = ${str('WARNING')}
# Where Debian installed the modules (there is no default): the user, client and scheme stores, the OIDC plugin.
user_module_path = ${str(`${MODULES}/user`)}
client_module_path = ${str(`${MODULES}/client`)}
user_auth_scheme_module_path = ${str(`${MODULES}/scheme`)}
plugin_module_path = ${str(`${MODULES}/plugin`)}
# A sqlite file of the run, made from the package's schema (no database server to start).
database = { type = ${str('sqlite3')} path = ${str(database)} };
`;
}

/** An RSA key made for this run, as the private JWKS the plugin signs with (RS256, the algorithm every OpenID client supports). */
export function signingKeys() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return { kid, jwks: JSON.stringify({ keys: [jwk] }) };
}

/**
 * The OpenID Connect plugin instance (POST /api/mod/plugin/).
 * @param {{ issuer: string, kid: string, jwks: string }} options
 */
export function oidcPlugin({ issuer, kid, jwks }) {
  return {
    module: 'oidc',
    name: PLUGIN_NAME,
    display_name: 'OpenID Connect',
    enabled: true,
    parameters: {
      // The issuer: `iss`, not `issuer` (which the plugin ignores, then refuses with "iss is mandatory").
      iss: issuer,
      // The run's RSA key; the discovery document and the jwks endpoint publish its public half.
      'jwks-private': jwks,
      'default-kid': kid,
      'jwks-show': true,
      // Authorization Code: what the element uses. No implicit token, password, client-credentials,
      // device or response_type=none grant (the plugin always allows id_token responses itself).
      'auth-type-code-enabled': true,
      'auth-type-token-enabled': false,
      'auth-type-none-enabled': false,
      'auth-type-password-enabled': false,
      'auth-type-client-enabled': false,
      'auth-type-device-enabled': false,
      // Refresh tokens, rotated on every use (one-time use), as a browser client's should be.
      'auth-type-refresh-enabled': true,
      'refresh-token-rolling': true,
      'refresh-token-one-use': 'always',
      // Lifetimes long enough for a slow machine, short enough to be renewed by asking for more validity.
      'access-token-duration': 3600,
      'refresh-token-duration': 86400,
      'code-duration': 600,
      // PKCE with S256 only, required of a public client (OAuth 2.0 for Browser-Based Apps).
      'pkce-allowed': true,
      'pkce-method-plain-allowed': false,
      'pkce-required-public-client': true,
      // The scopes the element asks for by default; the plugin refuses requests without `openid`.
      'allowed-scope': ['openid', 'profile', 'email', 'offline_access'],
      // The name and e-mail in the ID token and userinfo, from the user's properties.
      'name-claim': 'on-demand',
      'name-claim-scope': ['profile'],
      'email-claim': 'on-demand',
      'email-claim-scope': ['email'],
      // RFC 7009 revocation, advertised as the element expects, and open to the token's own client.
      // Glewlwyd still wants that client to authenticate (secret, assertion or certificate), which a
      // public client cannot: it answers the element's revocation at logout with 401.
      'introspection-revocation-allowed': true,
      'introspection-revocation-allow-target-client': true,
      // RP-initiated logout: end_session_endpoint in the discovery document.
      'session-management-allowed': true,
      'session-cookie-name': 'GLEWLWYD2_OIDC_SID',
      'session-cookie-expiration': 2419200,
      // Its end-session page asks for the clients to notify by front-channel; without this, that
      // call answers 400 and the page shows "Error in Glewlwyd API" (the client registers none).
      'front-channel-logout-allowed': true,
      'subject-type': 'public',
    },
  };
}
