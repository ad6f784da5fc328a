import { AuthError } from './errors.js';

/** Configuration as the element (or a host page) gives it. */
export interface LoginOptions {
  /** An Auth0 tenant domain, e.g. `example.us.auth0.com` (issuer `https://example.us.auth0.com/`). */
  domain?: string | undefined;
  /** Any OpenID Provider's issuer URL. */
  issuer?: string | undefined;
  clientId?: string | undefined;
  /** Auth0's API identifier, e.g. `https://api.thecloso.com`. */
  audience?: string | undefined;
  scope?: string | undefined;
  /** Defaults to the page URL without query and fragment. */
  redirectUri?: string | undefined;
  /** Further authorization request parameters (`prompt`, `login_hint`, `organization`, ...). */
  authorizationParams?: Readonly<Record<string, string>> | undefined;
  /** Where tokens are kept: `memory` (default), `session` (sessionStorage) or `local` (localStorage). */
  storage?: string | undefined;
  /** Seconds before expiry at which the access token is renewed. */
  renewBefore?: number | undefined;
  /** Restore a memory session after reload with a silent sign-in (`prompt=none` in a hidden iframe). */
  silent?: boolean | undefined;
  /** Where the provider sends the user after logout; defaults to the page's origin + `/`. */
  logoutUri?: string | undefined;
  /** Seconds before a request to the provider (or a silent sign-in) is abandoned with `timeout`. */
  timeout?: number | undefined;
  /** DPoP (RFC 9449): absent, `false` or `off` = off; `''`, `true` or `on` = use it; `required` = refuse Bearer answers. */
  dpop?: boolean | string | null | undefined;
}

export type StorageMode = 'memory' | 'session' | 'local';
const STORAGE_MODES: readonly StorageMode[] = ['memory', 'session', 'local'];
export const DEFAULT_RENEW_BEFORE = 60;
export const DEFAULT_TIMEOUT = 10;

/** Validated configuration. */
export interface LoginConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly audience: string | null;
  readonly scope: string;
  readonly redirectUri: string;
  readonly authorizationParams: Readonly<Record<string, string>>;
  /** The issuer is a loopback `http://` URL (development only). */
  readonly loopbackHttp: boolean;
  /** An Auth0 tenant: logout falls back to /v2/logout when no end_session_endpoint is advertised. */
  readonly auth0: boolean;
  readonly storage: StorageMode;
  readonly renewBefore: number;
  readonly silent: boolean;
  readonly logoutUri: string;
  readonly timeoutMs: number;
  readonly dpop: 'off' | 'on' | 'required';
}

export const DEFAULT_SCOPE = 'openid profile email offline_access';

/** Parameters the element sets itself; letting callers set them would defeat PKCE, state or nonce. */
export const RESERVED_PARAMS: ReadonlySet<string> = new Set([
  'client_id', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'audience',
  'state', 'nonce', 'code_challenge', 'code_challenge_method', 'request', 'request_uri',
]);

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Development hosts where plain http:// is tolerated. */
export const isLoopbackHost = (hostname: string): boolean => LOOPBACK_HOSTS.has(hostname);

const invalid = (message: string) => new AuthError('config_invalid', message);

/** Validates the options against the page's location. Throws AuthError `config_invalid`. */
export function resolveConfig(options: LoginOptions, page: { origin: string; pathname: string }): LoginConfig {
  const issuer = resolveIssuer(options);
  const clientId = options.clientId?.trim();
  if (!clientId) throw invalid('client-id is required.');

  let redirectUri = options.redirectUri?.trim() || page.origin + page.pathname;
  const redirect = parseUrl(redirectUri);
  if (!redirect || !/^https?:$/.test(redirect.protocol) || redirect.hash) {
    throw invalid(`redirect-uri must be an absolute http(s) URL without a fragment: "${redirectUri}".`);
  }
  // The callback page must share sessionStorage with the page that started the login.
  if (redirect.origin !== page.origin) {
    throw invalid(`redirect-uri must be on this page's origin (${page.origin}); got ${redirect.origin}.`);
  }

  const authorizationParams: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.authorizationParams ?? {})) {
    if (RESERVED_PARAMS.has(key)) throw invalid(`authorization parameter "${key}" is set by the element and cannot be overridden.`);
    if (typeof value !== 'string') throw invalid(`authorization parameter "${key}" must be a string.`);
    authorizationParams[key] = value;
  }

  const storage = (options.storage?.trim() || 'memory') as StorageMode;
  if (!STORAGE_MODES.includes(storage)) throw invalid(`storage must be memory, session or local; got "${options.storage}".`);
  const renewBefore = options.renewBefore ?? DEFAULT_RENEW_BEFORE;
  if (!Number.isFinite(renewBefore) || renewBefore < 0) throw invalid(`renew-before must be a number of seconds >= 0; got "${options.renewBefore}".`);
  const timeout = options.timeout ?? DEFAULT_TIMEOUT;
  if (!Number.isFinite(timeout) || timeout <= 0) throw invalid(`timeout must be a number of seconds > 0; got "${options.timeout}".`);
  // Frameworks set a boolean property for a bare `dpop` attribute (React, Svelte): true is on.
  const dpopValue = typeof options.dpop === 'boolean' ? (options.dpop ? 'on' : 'off') : String(options.dpop ?? 'off').trim();
  const dpop = dpopValue === '' ? 'on' : dpopValue;
  if (dpop !== 'off' && dpop !== 'on' && dpop !== 'required') throw invalid(`dpop must be empty, on, off or required; got "${dpopValue}".`);
  const logoutUri = options.logoutUri?.trim() || `${page.origin}/`;
  if (!/^https?:$/.test(parseUrl(logoutUri)?.protocol ?? '')) throw invalid(`logout-uri must be an absolute http(s) URL; got "${logoutUri}".`);

  const audience = options.audience?.trim() || null;
  const scopes = new Set((options.scope ?? DEFAULT_SCOPE).split(/\s+/).filter(Boolean));
  scopes.add('openid'); // the element logs a user in: OpenID Connect always
  const url = new URL(issuer);
  return {
    issuer,
    clientId,
    audience,
    scope: [...scopes].join(' '),
    redirectUri,
    authorizationParams,
    loopbackHttp: url.protocol === 'http:',
    auth0: Boolean(options.domain?.trim()) || /\.auth0\.com$/i.test(url.hostname),
    storage,
    renewBefore,
    silent: options.silent ?? false,
    logoutUri,
    timeoutMs: timeout * 1000,
    dpop,
  };
}

function resolveIssuer({ domain, issuer }: LoginOptions): string {
  domain = domain?.trim();
  issuer = issuer?.trim();
  if (domain && issuer) throw invalid('Give either domain or issuer, not both.');
  let value: string;
  if (domain) {
    // Auth0 tenants: a host name; the issuer is https://<domain>/ .
    const host = domain.replace(/^https:\/\//i, '').replace(/\/+$/, '');
    if (!/^[a-z0-9.-]+(:\d+)?$/i.test(host)) throw invalid(`domain must be a host name such as example.us.auth0.com; got "${domain}".`);
    value = `https://${host}/`;
  } else if (issuer) {
    value = issuer;
  } else {
    throw invalid('domain or issuer is required.');
  }
  const url = parseUrl(value);
  if (!url || url.search || url.hash || url.username || url.password) {
    throw invalid(`issuer must be an absolute URL without query, fragment or credentials; got "${value}".`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw invalid(`issuer must use https:// (http:// is allowed only for localhost, 127.0.0.1 and [::1]); got "${value}".`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(`issuer must use https://; got "${value}".`);
  return value;
}

/**
 * Resolves a return path to a same-origin path (RFC 9700 §4.11.1: no open redirector).
 * Returns null for anything that would leave the origin: `//host`, `/\host`, `https://other`, `javascript:`.
 */
export function sameOriginPath(value: string, origin: string): string | null {
  if (typeof value !== 'string' || /[\u0000-\u001f\u007f]/.test(value)) return null;
  // A path is resolved against the origin; anything else must be an absolute URL on it.
  const url = value.startsWith('/') ? parseUrl(value, origin) : parseUrl(value);
  if (!url || url.origin !== origin || !/^https?:$/.test(url.protocol)) return null;
  return url.pathname + url.search + url.hash;
}

/** `new URL` that returns null instead of throwing (URL.parse is too new for some browsers). */
export function parseUrl(value: string, base?: string): URL | null {
  try {
    return new URL(value, base);
  } catch {
    return null;
  }
}
