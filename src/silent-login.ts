/**
 * Silent sign-in: the authorization request with `prompt=none` in a hidden iframe that
 * comes back to the same redirect URI. Used to restore a memory-only session after a
 * reload. The pending login stays in memory, so the page loaded in the iframe (which may
 * run this element too) finds nothing to complete and leaves the response alone.
 */
import type { NetworkOptions, TokenSet } from './authorization-server.js';
import { readAuthorizationResponse, sameEndpoint } from './authorization-response.js';
import type { LoginConfig } from './config.js';
import { AuthError } from './errors.js';
import { authorizationRequest, completeLogin } from './login-flow.js';

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
