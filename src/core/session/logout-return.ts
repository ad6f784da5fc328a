/**
 * The `state` of a logout at the provider's end_session_endpoint (OpenID Connect RP-Initiated
 * Logout 1.0 §2: optional, but some providers, Glewlwyd among them, send the browser back to
 * post_logout_redirect_uri only with one). It is kept in this tab until the provider comes back
 * with it; then it leaves the address bar. It protects nothing: a logout return carries no data.
 */
import { clientKey } from '../token-store.js';

const key = (clientId: string) => clientKey(clientId, 'logout-state');

/** Keeps `state` for the logout about to leave for the provider. */
export function rememberLogoutState(clientId: string, state: string): void {
  try {
    sessionStorage.setItem(key(clientId), state);
  } catch {
    // Without sessionStorage the state stays in the address bar on return: nothing worse.
  }
}

/** On the page a logout came back to (`href` carries the state this tab sent): the state leaves the address bar, once. */
export function takeLogoutReturn(clientId: string, href: string): void {
  if (!/[?&]state=/.test(href)) return; // most pages: no sessionStorage access at all
  const url = new URL(href);
  try {
    const sent = sessionStorage.getItem(key(clientId));
    if (!sent || url.searchParams.get('state') !== sent || url.searchParams.has('code') || url.searchParams.has('error')) return;
    sessionStorage.removeItem(key(clientId));
  } catch {
    return;
  }
  url.searchParams.delete('state');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}
