/** Recognising an authorization response (RFC 6749 §4.1.2) in the page's URL. */
import { STATE_PATTERN } from './storage.js';

/** Longer callback URLs are not answers to our requests (codes and states are short): refused unsent. */
export const MAX_RESPONSE_LENGTH = 8192;

export interface AuthorizationResponse {
  readonly url: URL;
  /** The `state` value, or null when there is none (or it cannot be one of ours). */
  readonly state: string | null;
  /** The parameters came in the fragment: not the query response mode we asked for. */
  readonly inFragment: boolean;
}

/**
 * Recognises an authorization response (RFC 6749 §4.1.2): `code` or `error` in the query,
 * or, as a hostile or misconfigured provider might send, in the fragment.
 */
export function readAuthorizationResponse(href: string): AuthorizationResponse | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  const looksLikeResponse = (params: URLSearchParams) => params.has('code') || params.has('error');
  const fragment = new URLSearchParams(url.hash.slice(1));
  const inFragment = !looksLikeResponse(url.searchParams) && looksLikeResponse(fragment);
  const params = inFragment ? fragment : url.searchParams;
  if (!looksLikeResponse(params)) return null;
  const state = params.get('state');
  return { url, state: state && STATE_PATTERN.test(state) ? state : null, inFragment };
}

/** What the page may see: never the refresh token or the bookkeeping. */

/** Same origin and path: the page is the redirect URI (query and fragment aside). */
export function sameEndpoint(uri: string, url: URL): boolean {
  try {
    const target = new URL(uri);
    return target.origin === url.origin && target.pathname === url.pathname;
  } catch {
    return false;
  }
}
