/**
 * Silent sign-in: the authorization request with `prompt=none` in a hidden iframe that
 * comes back to the same redirect URI. Restores a memory-only session after a reload, and
 * renews one without a refresh token. The pending login stays in memory, so the page loaded
 * in the iframe (which may run this element too) finds nothing to complete and leaves the
 * response alone.
 */
import { completeLogin, readAuthorizationResponse, sameEndpoint } from './callback.js';
import type { LoginConfig } from './config.js';
import { AuthError } from './errors.js';
import type { NetworkOptions } from './provider.js';
import { authorizationRequest } from './redirect-login.js';
import type { TokenSet } from './token-set.js';

export async function silentLogin(config: LoginConfig, network: NetworkOptions = {}, timeoutMs = config.timeoutMs): Promise<TokenSet> {
  const { url, pending } = await authorizationRequest(config, { returnTo: '/', authorizationParams: { prompt: 'none' } }, network);
  const response = await new Promise<URL>((resolve, reject) => {
    const frame = document.createElement('iframe');
    frame.hidden = true;
    frame.setAttribute('aria-hidden', 'true');
    frame.title = 'Silent sign-in';
    const done = () => {
      clearTimeout(timer);
      frame.remove();
    };
    const timer = setTimeout(() => {
      done();
      reject(new AuthError('timeout', 'Silent sign-in got no answer in time (are third-party cookies blocked?).'));
    }, timeoutMs);
    frame.addEventListener('load', () => {
      let href: string;
      try {
        href = frame.contentWindow!.location.href; // throws while the frame is on the provider's origin
      } catch {
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
