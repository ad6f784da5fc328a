/**
 * Callback intake: everything that decides whether a URL is an accepted answer to one of our
 * logins, and the code exchange that completes it. A response is recognised (RFC 6749
 * §4.1.2), matched to its pending login by state, taken out of storage and out of the address
 * bar before anything else, checked (state, iss, error, tokens in the URL, the code's shape),
 * and only then is its code sent. Redirect, popup and silent logins all end here.
 */
import { authorizationCodeGrantRequest, None, validateAuthResponse, type AuthorizationServer } from 'oauth4webapi';
import { RESPONSE_PARAMS, TOKEN_PARAMS } from '../callback-params.js';
import type { LoginConfig } from '../config.js';
import { AuthError } from '../errors.js';
import { toAuthError } from './oauth-errors.js';
import { listPendingLogins, readPendingLogin, takePendingLogin, type PendingLogin } from './pending-login.js';
import { discover, tokenRequestOptions } from './provider.js';
import { sameOriginPath } from './redirect-login.js';
import { acceptCodeAnswer } from './token-answer.js';
import type { NetworkOptions, TokenSet } from '../session-contract.js';

/** Longer callback URLs are not answers to our requests (codes and states are short): refused unsent. */
export const MAX_RESPONSE_LENGTH = 8192;
/** An authorization code longer than this is not one any provider issues: refused unsent. */
const MAX_CODE_LENGTH = 2048;
/** States we create are base64url (oauth4webapi: 32 random bytes); anything else cannot be ours, and is never looked up. */
export const STATE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

export interface AuthorizationResponse {
  readonly url: URL;
  /** The `state` value, or null when there is none or it cannot be one of ours. */
  readonly state: string | null;
  /** A `state` parameter is there, usable or not: a wrong state is a mismatch, not a missing one. */
  readonly hasState: boolean;
  /** The parameters came in the fragment: not the query response mode we asked for. */
  readonly inFragment: boolean;
}

/** Recognises an authorization response in the query or, as a hostile provider might send it, the fragment. */
export function readAuthorizationResponse(href: string): AuthorizationResponse | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  const looksLikeResponse = (params: URLSearchParams) => RESPONSE_PARAMS.some((name) => params.has(name));
  const fragment = new URLSearchParams(url.hash.slice(1));
  const inFragment = !looksLikeResponse(url.searchParams) && looksLikeResponse(fragment);
  const params = inFragment ? fragment : url.searchParams;
  if (!looksLikeResponse(params)) return null;
  const state = params.get('state');
  return { url, state: state && STATE_PATTERN.test(state) ? state : null, hasState: state !== null, inFragment };
}

/** Same origin and path: the page is the redirect URI (query and fragment aside). */
export function sameEndpoint(uri: string, url: URL): boolean {
  try {
    const target = new URL(uri);
    return target.origin === url.origin && target.pathname === url.pathname;
  } catch {
    return false;
  }
}

/** Whose logins a session completes: its client, and logins it started at its issuer for its audience. */
export type CallbackOwner = Pick<LoginConfig, 'clientId' | 'issuer' | 'audience' | 'redirectUri'>;

/** What became of a URL. Anything but `none` has been taken: its pending logins are gone and the address bar is clean. */
export type CallbackIntake =
  | { readonly kind: 'none' }
  /** Handed to the window that opened this popup (popup-login.ts). */
  | { readonly kind: 'forwarded' }
  | { readonly kind: 'accepted'; readonly pending: PendingLogin; readonly url: URL }
  | { readonly kind: 'rejected'; readonly error: AuthError }
  /** Storage failed while a response sat on the redirect URI: it cannot be checked, and it is not left in the address bar. */
  | { readonly kind: 'unreadable'; readonly error: AuthError };

export interface IntakeOptions {
  /** Offers a response that answers no login of this window to the window that opened it (a popup); true when taken. */
  readonly forward?: (href: string) => boolean;
}

/**
 * Decides what `href` is for `owner`, takes what is ours, and cleans the address bar.
 * A response to another element's login, or not on a redirect URI with a login pending,
 * is left alone. A response on the redirect URI of a pending login without that login's
 * state is tampered or replayed: it ends that login (RFC 9700 §4.7) rather than waiting.
 */
export function intakeCallback(href: string, owner: CallbackOwner, { forward }: IntakeOptions = {}): CallbackIntake {
  const response = readAuthorizationResponse(href);
  if (!response) return { kind: 'none' };
  try {
    const ours = (login: PendingLogin | null): login is PendingLogin =>
      login !== null && login.issuer === owner.issuer && login.audience === owner.audience;
    const matching = response.state ? readPendingLogin(owner.clientId, response.state) : null;
    if (!matching && forward?.(href)) return { kind: 'forwarded' };
    // Inside a frame (our own silent sign-in iframe, say) nothing is completed or consumed:
    // interactive logins never run in frames (RFC 9700 §4.16).
    if (window.top !== window) return { kind: 'none' };
    if (matching && !ours(matching)) return { kind: 'none' };
    const answered = ours(matching) ? [matching] : listPendingLogins(owner.clientId)
      .filter((login) => ours(login) && sameEndpoint(login.redirectUri, response.url));
    if (answered.length === 0) return { kind: 'none' };
    // Single use: removed before anything validates it.
    const pending = answered.map((login) => takePendingLogin(owner.clientId, login.state))[0];
    // The response leaves the address bar at once, without a reload or a history entry.
    history.replaceState(history.state, '', sameOriginPath(answered[0]!.returnTo, location.origin) ?? location.pathname);
    const refuse = (code: 'state_missing' | 'state_mismatch' | 'authorization_failed', message: string): CallbackIntake =>
      ({ kind: 'rejected', error: new AuthError(code, message) });
    if (!pending || !ours(matching)) {
      return refuse(response.hasState ? 'state_mismatch' : 'state_missing', 'The authorization response does not carry the state of the pending login.');
    }
    if (response.inFragment) return refuse('authorization_failed', 'The authorization response came in the URL fragment; a query response was requested.');
    if (href.length > MAX_RESPONSE_LENGTH) return refuse('authorization_failed', 'The authorization response is implausibly large; it was not processed.');
    return { kind: 'accepted', pending, url: response.url };
  } catch (error) {
    if (sameEndpoint(owner.redirectUri, response.url)) history.replaceState(history.state, '', location.pathname);
    return { kind: 'unreadable', error: toAuthError(error, 'storage_unavailable') };
  }
}

/**
 * Validates an authorization response for a pending login (already taken from storage) and
 * exchanges its code. The pending login's own issuer is used, never the element's current
 * one (mix-up defence, RFC 9700 §4.4.2).
 */
export async function completeLogin(config: LoginConfig, pending: PendingLogin, response: URL, network: NetworkOptions = {}): Promise<TokenSet> {
  if (pending.issuer !== config.issuer || pending.clientId !== config.clientId) {
    throw new AuthError('iss_mismatch', 'The pending login was started for another provider or client.');
  }
  if (!(pending.expiresAt > Date.now())) throw new AuthError('login_expired', 'The login took too long; please log in again.');
  const as = await discover(config, network);
  const params = checkResponse(as, pending, response);
  return acceptCodeAnswer(config, as, pending, () =>
    authorizationCodeGrantRequest(as, { client_id: pending.clientId }, None(), params, pending.redirectUri, pending.codeVerifier, tokenRequestOptions(config, network)), network);
}

/**
 * The response's parameters, once they answer `pending`. oauth4webapi's validateAuthResponse
 * checks iss (RFC 9207), state and errors, but reports the first two with one code: they are
 * decided here first, from the values we hold, in the order it checks them.
 */
function checkResponse(as: AuthorizationServer, pending: PendingLogin, response: URL): URLSearchParams {
  const query = response.searchParams;
  const iss = query.getAll('iss');
  if (iss.length > 1 || (iss.length === 1 && iss[0] !== as.issuer) || (iss.length === 0 && as.authorization_response_iss_parameter_supported)) {
    throw new AuthError('iss_mismatch', `The authorization response ${iss.length ? 'names another issuer' : 'lacks the issuer (iss) the provider advertises'}.`);
  }
  const states = query.getAll('state');
  if (states.length === 0) throw new AuthError('state_missing', 'The authorization response carries no state.');
  if (states.length > 1 || states[0] !== pending.state) throw new AuthError('state_mismatch', 'The authorization response does not carry the state of the pending login.');
  let params: URLSearchParams;
  try {
    params = validateAuthResponse(as, { client_id: pending.clientId }, response, pending.state);
  } catch (error) {
    const failure = toAuthError(error, 'authorization_failed');
    // A provider that does not know a scope (profile, offline_access) refuses the whole request,
    // with invalid_scope or an invalid_request about the scope: say which were sent, so that the
    // page knows what to put in its `scope` attribute. Other invalid_requests are about something else.
    const description = (error as { error_description?: unknown }).error_description;
    const aboutScope = failure.code === 'invalid_scope' || (failure.code === 'invalid_request' && typeof description === 'string' && /\bscopes?\b/i.test(description));
    if (!aboutScope) throw failure;
    throw new AuthError(failure.code, `${failure.message} (scope sent: "${pending.scope}")`, { cause: error });
  }
  // Tokens never travel in the URL in the code flow (RFC 9700 §2.1.2): such a response is forged or misrouted.
  if (TOKEN_PARAMS.some((name) => params.has(name))) throw new AuthError('authorization_failed', 'The authorization response carries a token in the URL; it was refused.');
  const codes = params.getAll('code');
  if (codes.length !== 1) {
    throw new AuthError('authorization_failed', codes.length ? 'The authorization response carries more than one code; none was sent.' : 'The authorization response carries no code.');
  }
  if (codes[0]!.length > MAX_CODE_LENGTH) throw new AuthError('authorization_failed', 'The authorization code is implausibly long; it was not sent.');
  return params;
}
