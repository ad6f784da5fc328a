/** Recognising an authorization response (RFC 6749 §4.1.2) in the page's URL. */
import { STATE_PATTERN } from './storage.js';

/** Longer callback URLs are not answers to our requests (codes and states are short): refused unsent. */
export const MAX_RESPONSE_LENGTH = 8192;

export interface AuthorizationResponse {
  readonly url: URL;
  /** The `state` value, or null when there is none or it cannot be one of ours. */
  readonly state: string | null;
  /** A `state` parameter is there, usable or not: a wrong state is a mismatch, not a missing one. */
  readonly hasState: boolean;
  /** The parameters came in the fragment: not the query response mode we asked for. */
  readonly inFragment: boolean;
}

/**
 * Parameters that make a URL an authorization response: `code` or `error` (RFC 6749 §4.1.2),
 * or tokens, which a code-flow response never carries (RFC 9700 §2.1.2) but a hostile or
 * misconfigured provider might send; those must be refused, not left in the address bar.
 */
export const TOKEN_PARAMS: readonly string[] = ['access_token', 'id_token', 'token', 'refresh_token'];
const RESPONSE_PARAMS = ['code', 'error', ...TOKEN_PARAMS];

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
