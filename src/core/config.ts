/**
 * Configuration: the one list of options (OPTIONS) and their validation. The element's
 * properties and attributes, the framework typings, custom-elements.json and the validation
 * below are all derived from OPTIONS: an option is added in one place.
 */
import { AuthError } from './errors.js';

/** One configuration option: how the element reads it, its default, and its check. */
export interface Option<T, Resolved = T> {
  /** The element's attribute for it (dash-case). */
  readonly attribute: string;
  /** How lit converts the attribute (see lit's PropertyDeclaration). */
  readonly type?: NumberConstructor | BooleanConstructor;
  readonly converter?: { fromAttribute(value: string | null): T; toAttribute(value: T): string | null };
  /** The property's default. */
  readonly initial: T;
  /** The checked value; throws AuthError `config_invalid` naming the attribute. */
  read(value: unknown): Resolved;
}

export const DEFAULT_SCOPE = 'openid profile email offline_access';

/** Parameters the element sets itself; letting callers set them would defeat PKCE, state or nonce. */
export const RESERVED_PARAMS: ReadonlySet<string> = new Set([
  'client_id', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'audience',
  'state', 'nonce', 'code_challenge', 'code_challenge_method', 'request', 'request_uri',
]);

const invalid = (message: string) => new AuthError('config_invalid', message);

/** Text; blank is absent. */
const text = (attribute: string): Option<string | undefined> => ({
  attribute,
  initial: undefined,
  read: (value) => (value == null ? undefined : String(value).trim() || undefined),
});

/** Text with a default. */
const textOr = (attribute: string, initial: string): Option<string> => ({
  attribute,
  initial,
  read: (value) => (value == null ? initial : String(value).trim()),
});

/** A number of seconds, at least 0 (`positive`: more than 0). */
const seconds = (attribute: string, initial: number, positive = false): Option<number> => ({
  attribute,
  type: Number,
  initial,
  read(value) {
    const number = value == null ? initial : Number(value);
    if (!Number.isFinite(number) || number < 0 || (positive && number === 0)) {
      throw invalid(`${attribute} must be a number of seconds ${positive ? '> 0' : '>= 0'}; got "${value}".`);
    }
    return number;
  },
});

const flag = (attribute: string): Option<boolean> => ({ attribute, type: Boolean, initial: false, read: (value) => Boolean(value) });

/** One of `values`; the first is the default. */
const choice = <const T extends string>(attribute: string, values: readonly [T, ...T[]]): Option<T> => ({
  attribute,
  initial: values[0],
  read(value) {
    const chosen = value == null ? values[0] : String(value).trim() || values[0];
    if (!(values as readonly string[]).includes(chosen)) {
      throw invalid(`${attribute} must be ${values.slice(0, -1).join(', ')} or ${values.at(-1)}; got "${value}".`);
    }
    return chosen as T;
  },
});

/** `authorization-params="prompt=login&ui_locales=fr"`: further parameters, in query-string form as an attribute. */
const params = (attribute: string): Option<Record<string, string> | undefined, Readonly<Record<string, string>>> => ({
  attribute,
  initial: undefined,
  converter: {
    fromAttribute: (value) => (value === null ? undefined : Object.fromEntries(new URLSearchParams(value))),
    toAttribute: (value) => (value ? new URLSearchParams(value).toString() : null),
  },
  read: (value) => checkAuthorizationParams(value as Readonly<Record<string, unknown>> | undefined),
});

/** DPoP (RFC 9449): absent, `false` or `off` = off; `''`, `true` or `on` = on; `required` = refuse Bearer answers. */
const dpopMode = (attribute: string): Option<boolean | string | null | undefined, 'off' | 'on' | 'required'> => ({
  attribute,
  initial: undefined,
  read(value) {
    // Frameworks set a boolean property for a bare `dpop` attribute (React, Svelte): true is on.
    const given = typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value ?? 'off').trim();
    const mode = given === '' ? 'on' : given;
    if (mode !== 'off' && mode !== 'on' && mode !== 'required') throw invalid(`${attribute} must be empty, on, off or required; got "${given}".`);
    return mode;
  },
});

/**
 * Every configuration option. The comment above each is its documentation (the element's
 * property docs and custom-elements.json are generated from it).
 */
export const OPTIONS = {
  /** Auth0 tenant domain, e.g. `example.us.auth0.com` (issuer `https://example.us.auth0.com/`). */
  domain: text('domain'),
  /** Issuer URL of any OpenID Provider (instead of `domain`). */
  issuer: text('issuer'),
  /** The application's client ID. */
  clientId: text('client-id'),
  /** Auth0 API identifier the access token is for, e.g. `https://api.thecloso.com`. */
  audience: text('audience'),
  /** Scopes to request; `openid` is always added. */
  scope: textOr('scope', DEFAULT_SCOPE),
  /** Redirect URI; defaults to the page URL without query and fragment. Sent exactly as given. */
  redirectUri: text('redirect-uri'),
  /** Further authorization parameters (`prompt`, `login_hint`, `organization`, …); attribute in query-string form. */
  authorizationParams: params('authorization-params'),
  /** Where tokens are kept: `memory` (default), `session` (sessionStorage) or `local` (localStorage). */
  storage: choice('storage', ['memory', 'session', 'local']),
  /** Seconds before expiry at which the access token is renewed with the refresh token. */
  renewBefore: seconds('renew-before', 60),
  /** After a reload, restore a memory session by a silent sign-in (`prompt=none` in a hidden iframe). */
  silent: flag('silent'),
  /** Where the provider sends the user after logout; defaults to this origin's `/`. */
  logoutUri: text('logout-uri'),
  /** DPoP (RFC 9449) sender-constrained tokens: absent = off, present = on, `required` = refuse Bearer answers. */
  dpop: dpopMode('dpop'),
  /** `redirect` (default) leaves the page for the provider; `popup` opens it in a popup window. */
  mode: choice('mode', ['redirect', 'popup']),
  /** Seconds the popup may stay open before the login gives up with `timeout`. */
  popupTimeout: seconds('popup-timeout', 300, true),
  /** Seconds before a request to the provider (or a silent sign-in) gives up with `timeout`. */
  timeout: seconds('timeout', 10, true),
  /** Auth0 Organization to log in to (its id `org_…` or its name); every ID token must name it. */
  organization: text('organization'),
  /** On a page opened from an Auth0 invitation link (`?invitation=…&organization=…`), start the login that accepts it. */
  acceptInvitation: flag('accept-invitation'),
  /** `popup`: a failure only the user can mend (`mfa_required`, `step_up_required`) opens a popup login that asks for it, then the call goes on; `none` (default) rejects. */
  interactiveErrors: choice('interactive-errors', ['none', 'popup']),
};

type Options = typeof OPTIONS;
export type OptionName = keyof Options;

/** The options as properties: what a page or framework sets on the element. */
export type OptionValues = { [K in OptionName]: Options[K] extends Option<infer T, unknown> ? T : never };
/** Configuration as the element (or a host page) gives it; anything not given takes its default. */
export type LoginOptions = { [K in OptionName]?: OptionValues[K] | undefined };
type Checked = { [K in OptionName]: ReturnType<Options[K]['read']> };

export type StorageMode = Checked['storage'];

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
  readonly dpop: Checked['dpop'];
  readonly mode: Checked['mode'];
  readonly popupTimeoutMs: number;
  readonly organization: string | null;
  readonly acceptInvitation: boolean;
  readonly interactiveErrors: Checked['interactiveErrors'];
}

/** Validates every option, then the rules between them and the page's location. Throws AuthError `config_invalid`. */
export function resolveConfig(options: LoginOptions, page: { origin: string; pathname: string }): LoginConfig {
  const given = options as Record<string, unknown>;
  const checked = Object.fromEntries(Object.entries(OPTIONS).map(([name, option]) => [name, option.read(given[name])])) as Checked;
  const issuer = resolveIssuer(checked);
  if (!checked.clientId) throw invalid('client-id is required.');

  const redirectUri = checked.redirectUri ?? page.origin + page.pathname;
  const redirect = parseUrl(redirectUri);
  if (!redirect || !/^https?:$/.test(redirect.protocol) || redirect.hash) {
    throw invalid(`redirect-uri must be an absolute http(s) URL without a fragment: "${redirectUri}".`);
  }
  // The callback page must share sessionStorage with the page that started the login.
  if (redirect.origin !== page.origin) {
    throw invalid(`redirect-uri must be on this page's origin (${page.origin}); got ${redirect.origin}.`);
  }
  const logoutUri = checked.logoutUri ?? `${page.origin}/`;
  if (!/^https?:$/.test(parseUrl(logoutUri)?.protocol ?? '')) throw invalid(`logout-uri must be an absolute http(s) URL; got "${logoutUri}".`);

  const scopes = new Set(checked.scope.split(/\s+/).filter(Boolean));
  scopes.add('openid'); // the element logs a user in: OpenID Connect always
  const url = new URL(issuer);
  return {
    issuer,
    clientId: checked.clientId,
    audience: checked.audience ?? null,
    scope: [...scopes].join(' '),
    redirectUri,
    authorizationParams: checked.authorizationParams,
    loopbackHttp: url.protocol === 'http:',
    auth0: Boolean(checked.domain) || /\.auth0\.com$/i.test(url.hostname),
    storage: checked.storage,
    renewBefore: checked.renewBefore,
    silent: checked.silent,
    logoutUri,
    timeoutMs: checked.timeout * 1000,
    dpop: checked.dpop,
    mode: checked.mode,
    popupTimeoutMs: checked.popupTimeout * 1000,
    organization: checked.organization ?? null,
    acceptInvitation: checked.acceptInvitation,
    interactiveErrors: checked.interactiveErrors,
  };
}

/** Further authorization parameters, from configuration or one login() call: strings, none of them reserved. */
export function checkAuthorizationParams(params: Readonly<Record<string, unknown>> | undefined): Readonly<Record<string, string>> {
  const checked: Record<string, string> = {};
  for (const [key, value] of Object.entries(params ?? {})) {
    if (RESERVED_PARAMS.has(key)) throw invalid(`authorization parameter "${key}" is set by the element and cannot be overridden.`);
    if (typeof value !== 'string') throw invalid(`authorization parameter "${key}" must be a string.`);
    checked[key] = value;
  }
  return checked;
}

function resolveIssuer({ domain, issuer }: Checked): string {
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

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Development hosts where plain http:// is tolerated. */
export const isLoopbackHost = (hostname: string): boolean => LOOPBACK_HOSTS.has(hostname);

/** `new URL` that returns null instead of throwing (URL.parse is too new for some browsers). */
export function parseUrl(value: string, base?: string): URL | null {
  try {
    return new URL(value, base);
  } catch {
    return null;
  }
}
