/**
 * The parameters that make a URL an authorization response: `code` or `error` (RFC 6749
 * §4.1.2), or tokens, which a code-flow response never carries (RFC 9700 §2.1.2) but a hostile
 * or misconfigured provider might send; those must be refused, not left in the address bar.
 * One list for both sides of the first-load line: the first load's pre-filter, which only
 * decides whether to load the session's code, and session/callback.ts, which decides what the
 * URL is.
 */
export const TOKEN_PARAMS: readonly string[] = ['access_token', 'id_token', 'token', 'refresh_token'];
export const RESPONSE_PARAMS: readonly string[] = ['code', 'error', ...TOKEN_PARAMS];

/** Whether `href` might carry an authorization response: any of RESPONSE_PARAMS, in the query or the fragment. */
export const mightBeCallback = (href: string): boolean => new RegExp(`[?#&](${RESPONSE_PARAMS.join('|')})=`).test(href);
