/**
 * The authorization request (RFC 6749 §4.1.1 with PKCE, RFC 7636, and OpenID Connect's
 * nonce) and the redirect login that carries it: the pending login is stored, the browser
 * leaves for the provider, and a watchdog notices when it does not. Popup and silent
 * logins send the same request elsewhere.
 */
import { calculatePKCECodeChallenge, generateRandomCodeVerifier, generateRandomNonce, generateRandomState } from 'oauth4webapi';
import { checkAuthorizationParams, parseUrl, type LoginConfig } from '../config.js';
import { AuthError } from '../errors.js';
import type { LoginCallOptions, NetworkOptions } from '../session-contract.js';
import { PENDING_LOGIN_TTL_MS, savePendingLogin, type PendingLogin } from './pending-login.js';
import { discover } from './provider.js';
import { prefetchJwks } from './signing-keys.js';

export interface RequestOptions {
  /** Same-origin path to come back to after the callback (validated by the caller). */
  readonly returnTo: string;
  /** Per-call authorization parameters, already checked (config.ts checkAuthorizationParams). */
  readonly authorizationParams?: Readonly<Record<string, string>>;
  /** Checked app state, stored with the pending login. */
  readonly appState?: unknown;
  /** An Auth0 Organization for this login, instead of the configuration's. */
  readonly organization?: string | undefined;
  /** An Auth0 Organization invitation to accept. */
  readonly invitation?: string | undefined;
}

/** The largest app state a login carries (serialized): it is stored with the pending login, in sessionStorage. */
export const MAX_APP_STATE_BYTES = 16 * 1024;

/** login({ appState }): any JSON value up to MAX_APP_STATE_BYTES, returned as it was serialized. */
export function checkAppState(appState: unknown): unknown {
  if (appState === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(appState);
  } catch {
    json = undefined;
  }
  if (json === undefined) throw new AuthError('config_invalid', 'appState must be a JSON value (no functions, no cycles).');
  if (new TextEncoder().encode(json).length > MAX_APP_STATE_BYTES) throw new AuthError('config_invalid', `appState is over ${MAX_APP_STATE_BYTES} bytes as JSON.`);
  return JSON.parse(json) as unknown;
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

/** The parameters of an Auth0 Organization invitation link. */
const INVITATION_PARAMS = ['invitation', 'organization', 'organization_name'];

/** `href`'s path, query and fragment, without an invitation link's parameters. */
function withoutInvitation(href: string): string {
  const url = new URL(href);
  for (const name of INVITATION_PARAMS) url.searchParams.delete(name);
  return url.pathname + url.search + url.hash;
}

/** The options of a login at the provider's page. */
const PAGE_OPTIONS = ['popup', 'returnTo', 'invitation', 'authorizationParams'] as const;

/** A login at the token endpoint (`what`: a token exchange, a passkey) opens no provider page: it refuses their options, and `also`. */
export function refusePageOptions(call: LoginCallOptions, what: string, also: readonly (keyof LoginCallOptions)[] = []): void {
  const misplaced = [...PAGE_OPTIONS, ...also].filter((name) => call[name] !== undefined);
  if (misplaced.length) throw new AuthError('config_invalid', `login({ ${what} }) opens no provider page: ${misplaced.join(', ')} cannot go with it.`);
}

const organizationOf = (call: LoginCallOptions, config: LoginConfig, params: Record<string, string> | undefined) =>
  call.organization ?? config.organization ?? params?.['organization'] ?? config.authorizationParams['organization'];

/**
 * What one login() call asks for, checked: parameters (none reserved), app state, a same-origin
 * return path. A call that accepts an invitation takes the link's parameters out of the address
 * bar (and of the path to come back to): an invitation is used once.
 */
export function loginRequest(call: LoginCallOptions, config: LoginConfig): RequestOptions {
  if (call.invitation) history.replaceState(history.state, '', withoutInvitation(location.href));
  const here = location.pathname + location.search + location.hash;
  const params = call.authorizationParams && checkAuthorizationParams(call.authorizationParams);
  const appState = checkAppState(call.appState);
  return {
    returnTo: (call.returnTo !== undefined && sameOriginPath(call.returnTo, location.origin)) || here,
    ...(params ? { authorizationParams: params } : {}),
    ...(appState === undefined ? {} : { appState }),
    // The organization as the authorization request takes it (authorizationRequest): the call's, the configuration's, or a parameter's.
    ...(organizationOf(call, config, params) ? { organization: organizationOf(call, config, params)! } : {}),
    ...(call.invitation ? { invitation: call.invitation } : {}),
  };
}

/**
 * An Auth0 Organization invitation link (`?invitation=…&organization=…&organization_name=…`)
 * on `href`: the login that accepts it (a redirect: no click to open a popup in), once those
 * parameters have left the address bar; null when `href` is no invitation link.
 */
export function invitationLogin(href: string): LoginCallOptions | null {
  const params = new URL(href).searchParams;
  const invitation = params.get('invitation');
  const organization = params.get('organization');
  if (!invitation || !organization) return null;
  const returnTo = withoutInvitation(href);
  history.replaceState(history.state, '', returnTo);
  return { invitation, organization, returnTo, popup: false };
}

/** The authorization request and its pending login, not yet stored (popup and silent logins keep it in memory). */
export async function authorizationRequest(
  config: LoginConfig,
  options: RequestOptions,
  network: NetworkOptions = {},
): Promise<{ url: URL; pending: PendingLogin }> {
  if (!globalThis.crypto?.subtle) {
    throw new AuthError('crypto_unavailable', 'WebCrypto is unavailable: serve the page over https:// (or http://localhost).');
  }
  const as = await discover(config, network);
  const codeVerifier = generateRandomCodeVerifier();
  // The callback page will need the signing keys: fetch them now, alongside the PKCE hash.
  const [codeChallenge] = await Promise.all([calculatePKCECodeChallenge(codeVerifier), prefetchJwks(config, as, network)]);
  const state = generateRandomState();
  const nonce = generateRandomNonce();

  const url = new URL(as.authorization_endpoint!);
  const extra: Record<string, string> = { ...config.authorizationParams, ...options.authorizationParams };
  // Auth0 Organizations: the organization (and an invitation to it) travel as parameters.
  const organization = options.organization ?? config.organization ?? extra['organization'] ?? null;
  if (organization) extra['organization'] = organization;
  if (options.invitation) extra['invitation'] = options.invitation;
  for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
  if (config.audience) url.searchParams.set('audience', config.audience);
  url.searchParams.set('scope', config.scope);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', config.redirectUri);
  // RFC 7636 §4.2: S256 only, whatever else the provider lists.
  url.searchParams.set('code_challenge', codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', nonce);

  const now = Date.now();
  const pending: PendingLogin = {
    state,
    codeVerifier,
    nonce,
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    audience: config.audience,
    scope: config.scope,
    returnTo: options.returnTo,
    createdAt: now,
    expiresAt: now + PENDING_LOGIN_TTL_MS,
    organization,
    // Step-up (OIDC Core §3.1.2.1): what was asked is what the ID token must show.
    maxAge: extra['max_age'] !== undefined && /^\d+$/.test(extra['max_age']) ? Number(extra['max_age']) : null,
    acrValues: extra['acr_values'] ?? null,
    ...(options.appState === undefined ? {} : { appState: options.appState }),
  };
  return { url, pending };
}

/** Builds the authorization request and stores its pending login for the callback page. Returns the URL to navigate to. */
export async function startLogin(config: LoginConfig, options: RequestOptions, network: NetworkOptions = {}): Promise<URL> {
  const { url, pending } = await authorizationRequest(config, options, network);
  savePendingLogin(pending);
  return url;
}

/**
 * Sends the browser to `url`. The page normally unloads; the promise settles only when it
 * does not: resolved when the page is shown again from the back/forward cache (the user came
 * back, nothing happened), rejected with `timeout` when it is still here after `timeoutMs`
 * (the provider answered 204, a download started, the navigation was cancelled).
 */
export function navigate(url: URL, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      window.removeEventListener('pageshow', onPageShow);
    };
    const onPageShow = (event: PageTransitionEvent) => {
      if (!event.persisted) return;
      stop();
      resolve();
    };
    const timer = setTimeout(() => {
      stop();
      reject(new AuthError('timeout', 'The browser did not open the login page.'));
    }, timeoutMs);
    window.addEventListener('pageshow', onPageShow);
    location.assign(url.href);
  });
}
