/**
 * Silent sign-in: the authorization request with `prompt=none` in a hidden iframe that
 * comes back to the same redirect URI. Restores a memory-only session after a reload, and
 * renews one without a refresh token. The pending login stays in memory, so the page loaded
 * in the iframe (which may run this element too) finds nothing to complete and leaves the
 * response alone.
 */
import { completeLogin, readAuthorizationResponse, sameEndpoint } from './callback.js';
import type { LoginConfig } from '../config.js';
import { AuthError } from '../errors.js';
import { authorizationRequest } from './redirect-login.js';
import type { NetworkOptions, TokenSet } from '../session-contract.js';

/** How long the frame may stay on a provider page before the sign-in counts as unanswered. */
const UNANSWERED_MS = 2_000;

export async function silentLogin(config: LoginConfig, network: NetworkOptions = {}, timeoutMs = config.timeoutMs): Promise<TokenSet> {
  const { url, pending } = await authorizationRequest(config, { returnTo: '/', authorizationParams: { prompt: 'none' } }, network);
  const response = await new Promise<URL>((resolve, reject) => {
    const frame = document.createElement('iframe');
    frame.hidden = true;
    frame.setAttribute('aria-hidden', 'true');
    frame.title = 'Silent sign-in';
    let unanswered: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      clearTimeout(timer);
      clearTimeout(unanswered);
      frame.remove();
    };
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
