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
/**
 * How often the popup is looked at. A closed popup gets two more looks (the answer it posted as
 * it closed may still wait in this window's task queue) before popup_closed.
 */
const POPUP_POLL_MS = 100;
const CLOSED_POLLS = 3;

/** The channel a popup cut off from its opener answers on: named by the login's state, which only its opener knows. */
const answerChannel = (state: string) => `closo-login:popup:${state}`;
/**
 * Where the opener marks the popup as its own, with the login's state, in the popup's
 * sessionStorage (the tab's, which outlives the navigations and COOP's switch): only a window
 * so marked answers on the channel and closes itself.
 */
const POPUP_MARK = 'closo-login:popup-login';

const closedError = () => new AuthError('popup_closed', 'The login window was closed before the login finished.');

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
  giveUp?: AbortSignal,
): Promise<TokenSet> {
  let cleanup = () => {};
  try {
    const { url, pending } = await authorizationRequest(config, { ...request, returnTo: '/' }, network);
    const origin = new URL(config.redirectUri).origin;
    const response = await new Promise<URL>((resolve, reject) => {
      /** An answer from our popup (by postMessage or, cut off, on its channel): from our origin, validated as a redirect callback is. */
      const take = (href: unknown) => {
        let answer: URL;
        try {
          answer = new URL(String(href));
        } catch {
          return;
        }
        if (answer.origin === origin) resolve(answer);
      };
      const onMessage = (event: MessageEvent<PopupMessage>) => {
        // Only our popup, from our origin: anything else is ignored. What our popup sends is
        // validated like a redirect callback (state, iss, error), so a wrong answer fails the login.
        if (event.origin === origin && event.source === popup && event.data?.type === MESSAGE_TYPE) take(event.data.href);
      };
      // Cut off by COOP, the popup answers on a same-origin channel named by this login's state;
      // the answer must still carry that state (completeLogin checks it), and only the first counts.
      const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(answerChannel(pending.state)) : null;
      if (channel) channel.onmessage = (event: MessageEvent<PopupMessage>) => { if (event.data?.type === MESSAGE_TYPE) take(event.data.href); };
      // A popup whose provider page sets Cross-Origin-Opener-Policy is cut off from this window as
      // that page loads: it then looks closed from here, though the user still sees it. A user
      // closes the popup only once it shows the provider's page, which a look sees (it is of
      // another origin); one found closed without ever showing it is taken for cut off, and its
      // answer is awaited on the channel until popup-timeout, not reported as popup_closed.
      let shown = false;
      let closedPolls = 0;
      const closed = setInterval(() => {
        if (!popup.closed) {
          closedPolls = 0;
          try {
            void popup.location.href;
          } catch {
            shown = true; // another origin's page: the provider's
          }
        } else if ((shown || !channel) && ++closedPolls >= CLOSED_POLLS) {
          reject(closedError());
        }
      }, POPUP_POLL_MS);
      const timer = setTimeout(() => reject(new AuthError('timeout', 'The login window gave no answer in time.')), config.popupTimeoutMs);
      // A new login while the popup looks closed (Session.login): the user closed it, so it is given up.
      giveUp?.addEventListener('abort', () => reject(closedError()));
      window.addEventListener('message', onMessage);
      waitingPopups(window).add(popup);
      cleanup = () => {
        window.removeEventListener('message', onMessage);
        channel?.close();
        waitingPopups(window).delete(popup);
        clearInterval(closed);
        clearTimeout(timer);
      };
      try {
        popup.sessionStorage.setItem(POPUP_MARK, pending.state); // still about:blank, of this origin
      } catch {
        // Without the mark, a popup cut off by COOP cannot answer: the login ends in popup_closed or timeout.
      }
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
 * and close; cut off from its opener, answer on the login's channel. (The window name cannot
 * mark our popup: browsers clear it on cross-site navigations.) Returns true when it did.
 */
export function answerOpener(href: string): boolean {
  const opener = window.opener as Window | null;
  if (!opener || opener === window) return answerOnChannel(href);
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

/**
 * With no opener to answer (a provider page with Cross-Origin-Opener-Policy cut this popup off):
 * when the opener marked this window for this login's state, the answer goes on the channel
 * named by that state, where only the window that started the login listens, and the popup
 * closes. Any other page keeps its URL, unanswered, as before (false).
 */
function answerOnChannel(href: string): boolean {
  const state = new URL(href).searchParams.get('state');
  if (!state || window.top !== window || typeof BroadcastChannel !== 'function') return false;
  try {
    if (sessionStorage.getItem(POPUP_MARK) !== state) return false; // not the popup of this login
    sessionStorage.removeItem(POPUP_MARK);
  } catch {
    return false;
  }
  history.replaceState(null, '', new URL(href).pathname);
  const channel = new BroadcastChannel(answerChannel(state));
  channel.postMessage({ type: MESSAGE_TYPE, href } satisfies PopupMessage);
  channel.close();
  window.close();
  return true;
}
