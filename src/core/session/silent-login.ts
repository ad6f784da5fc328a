/**
 * Silent sign-in: the authorization request with `prompt=none` in a hidden iframe that
 * comes back to the same redirect URI. Restores a memory-only session after a reload, and
 * renews one without a refresh token. The pending login stays in memory, so the page loaded
 * in the iframe (which may run this element too) finds nothing to complete and leaves the
 * response alone.
 */
import { completeLogin, readAuthorizationResponse, sameEndpoint } from './callback.js';
import type { LoginConfig } from '../config.js';
import { AuthError, meansSignedOut } from '../errors.js';
import { authorizationRequest } from './redirect-login.js';
import type { NetworkOptions, TokenSet } from '../session-contract.js';
import { clientKey } from '../token-store.js';

/** How long the frame may stay on a provider page before the sign-in counts as unanswered. */
const UNANSWERED_MS = 2_000;

export interface SilentOptions {
  readonly timeoutMs?: number;
  /** Ends the sign-in at once (the user asked for a login meanwhile): it rejects with the signal's reason. */
  readonly cancel?: AbortSignal | undefined;
  /** The ID token the session holds: sent as `id_token_hint` (OIDC Core §3.1.2.1 recommends it with prompt=none; some providers require it). */
  readonly idTokenHint?: string | undefined;
}

export async function silentLogin(config: LoginConfig, network: NetworkOptions = {}, { timeoutMs = config.timeoutMs, cancel, idTokenHint }: SilentOptions = {}): Promise<TokenSet> {
  const authorizationParams = { prompt: 'none', ...(idTokenHint ? { id_token_hint: idTokenHint } : {}) };
  const { url, pending } = await authorizationRequest(config, { returnTo: '/', authorizationParams }, network);
  cancel?.throwIfAborted();
  const response = await new Promise<URL>((resolve, reject) => {
    const frame = document.createElement('iframe');
    frame.hidden = true;
    frame.setAttribute('aria-hidden', 'true');
    frame.title = 'Silent sign-in';
    let unanswered: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      clearTimeout(timer);
      clearTimeout(unanswered);
      cancel?.removeEventListener('abort', cancelled);
      frame.remove();
    };
    const cancelled = () => {
      done();
      reject(cancel!.reason);
    };
    cancel?.addEventListener('abort', cancelled, { once: true });
    const timer = setTimeout(() => {
      done();
      reject(new AuthError('timeout', 'Silent sign-in got no answer in time: the provider did not answer, or third-party cookies are blocked.'));
    }, timeoutMs);
    frame.addEventListener('load', () => {
      let href: string;
      try {
        href = frame.contentWindow!.location.href; // throws while the frame is on the provider's origin
      } catch {
        // A page of the provider's (or the browser's error page for a frame it refused) loaded in
        // the frame: with prompt=none a provider redirects, it shows nothing (OIDC Core §3.1.2.1).
        // Unless it moves on shortly, it is not going to answer: the user must log in.
        clearTimeout(unanswered);
        unanswered = setTimeout(() => {
          done();
          reject(new AuthError('login_required', 'Silent sign-in got no answer: the provider showed a page in the hidden frame, or refused to be framed. Log in.'));
        }, Math.min(UNANSWERED_MS, timeoutMs));
        return;
      }
      // Any response on the redirect URI ends the wait; completeLogin checks its state and iss.
      const answer = readAuthorizationResponse(href);
      if (!answer || !sameEndpoint(config.redirectUri, answer.url)) return;
      done();
      resolve(answer.url);
    });
    frame.src = url.href;
    document.body.append(frame);
  });
  return completeLogin(config, pending, response, network);
}

/**
 * Where this browser's last login at the provider is noted (a time; no token, nothing about the
 * user), so that a silent sign-in that finds no session soon after can say why it probably did not.
 */
const noteKey = (config: LoginConfig) => clientKey(config.clientId, `provider-login:${config.issuer}`);
/** How long a provider session is expected to live for the note to count (Auth0's default idle lifetime: 3 days). */
const PROVIDER_SESSION_MS = 3 * 24 * 3600 * 1000;
let told = false;

/** Notes that this browser just logged in at the provider (with `silent`, whose sign-ins rely on that session). */
export function noteProviderLogin(config: LoginConfig, loggedIn: boolean): void {
  if (!config.silent) return;
  try {
    if (loggedIn) localStorage.setItem(noteKey(config), String(Date.now()));
    else localStorage.removeItem(noteKey(config));
  } catch {
    // Without localStorage there is no note, and no explanation later: nothing worse.
  }
}

/**
 * A silent sign-in that found no session although this browser logged in at the provider not
 * long ago: where the provider is on another site than the page, the browser most likely keeps
 * its cookies from the hidden frame (third-party cookies blocked), and the user would have to
 * log in after every reload. Said once per page, on the console (docs/browsers.md).
 */
export function explainSilentRefusal(config: LoginConfig, error: AuthError): void {
  if (told || !meansSignedOut(error.code)) return;
  let at: number;
  try {
    at = Number(localStorage.getItem(noteKey(config)));
  } catch {
    return;
  }
  const ago = Date.now() - at;
  if (!at || ago < 0 || ago > PROVIDER_SESSION_MS) return;
  told = true;
  console.warn(`closo-login: silent sign-in found no session at ${config.issuer}, though this browser logged in there ${Math.round(ago / 60_000)} min ago: `
    + 'the browser probably blocks its third-party cookies. See docs/browsers.md.');
}
