/**
 * Popup login: the authorization request runs in a popup window, so the page (and the
 * user's unsaved work) stays. The callback page loaded in the popup hands the response to
 * its opener with postMessage, to this exact origin, and closes; the opener checks the
 * message's origin and its source window (RFC 9700 §4.17.2), then completes the login as
 * the redirect flow does (callback.ts: state, iss, code exchange). The window itself is
 * opened in the click's task, before this file is loaded (popup-window.ts).
 */
import { completeLogin } from './callback.js';
import type { LoginConfig } from '../config.js';
import { AuthError } from '../errors.js';
import { authorizationRequest, type RequestOptions } from './redirect-login.js';
import type { NetworkOptions, TokenSet } from '../session-contract.js';

const MESSAGE_TYPE = 'closo-login:authorization-response';
const CLOSED_POLL_MS = 250;

interface PopupMessage {
  readonly type: typeof MESSAGE_TYPE;
  readonly href: string;
}

/**
 * The popups a window is waiting on, kept on that window so that the callback page in a
 * popup (same origin, so it can read it) answers only when its opener really started a
 * popup login in it: a same-origin window opened for anything else keeps its URL.
 */
const WAITING = Symbol.for('closo-login:popups');
type WithWaiting = Window & { [WAITING]?: Set<Window> };
const waitingPopups = (opener: WithWaiting): Set<Window> => (opener[WAITING] ??= new Set());

/** Completes a login in an already opened popup window. Cleans up in every case. */
export async function popupLogin(
  config: LoginConfig,
  popup: Window,
  request: Partial<RequestOptions> = {},
  network: NetworkOptions = {},
): Promise<TokenSet> {
  let cleanup = () => {};
  try {
    const { url, pending } = await authorizationRequest(config, { ...request, returnTo: '/' }, network);
    const origin = new URL(config.redirectUri).origin;
    const response = await new Promise<URL>((resolve, reject) => {
      const onMessage = (event: MessageEvent<PopupMessage>) => {
        // Only our popup, from our origin: anything else is ignored. What our popup sends is
        // validated like a redirect callback (state, iss, error), so a wrong answer fails the login.
        if (event.origin !== origin || event.source !== popup || event.data?.type !== MESSAGE_TYPE) return;
        let answer: URL;
        try {
          answer = new URL(event.data.href);
        } catch {
          return;
        }
        if (answer.origin === origin) resolve(answer);
      };
      // The popup posts its answer, then closes itself: a poll can find it closed while the answer
      // still waits in this window's task queue. So a closed popup gets one more poll to deliver.
      let closedSeen = false;
      const closed = setInterval(() => {
        if (closedSeen) reject(new AuthError('popup_closed', 'The login window was closed before the login finished.'));
        closedSeen = popup.closed;
      }, CLOSED_POLL_MS);
      const timer = setTimeout(() => reject(new AuthError('timeout', 'The login window gave no answer in time.')), config.popupTimeoutMs);
      window.addEventListener('message', onMessage);
      waitingPopups(window).add(popup);
      cleanup = () => {
        window.removeEventListener('message', onMessage);
        waitingPopups(window).delete(popup);
        clearInterval(closed);
        clearTimeout(timer);
      };
      popup.location.href = url.href;
    });
    cleanup();
    return await completeLogin(config, pending, response, network);
  } finally {
    cleanup();
    if (!popup.closed) popup.close();
  }
}

/**
 * On a callback page inside a popup opened by a page of this origin for a popup login:
 * hand the response to the opener (to this exact origin, never "*"), clear the address bar
 * and close. (The window name cannot mark our popup: browsers clear it on cross-site
 * navigations.) Returns true when it did.
 */
export function answerOpener(href: string): boolean {
  const opener = window.opener as Window | null;
  if (!opener || opener === window) return false;
  try {
    // Reading the opener throws when it is cross-origin.
    if (opener.location.origin !== location.origin || !(opener as WithWaiting)[WAITING]?.has(window)) return false;
  } catch {
    return false;
  }
  history.replaceState(null, '', new URL(href).pathname);
  const message: PopupMessage = { type: MESSAGE_TYPE, href };
  try {
    opener.postMessage(message, location.origin);
  } finally {
    window.close();
  }
  return true;
}
