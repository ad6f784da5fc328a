/**
 * Calling an API with the session's access token (RFC 6750 §2.1, RFC 9449 §7): `Bearer`,
 * or `DPoP` with a fresh proof for the request's method and URL. A resource server's
 * `use_dpop_nonce` challenge is answered once (the DPoP handle keeps nonces per server).
 */
import { allowInsecureRequests, isDPoPNonceError, protectedResourceRequest, WWWAuthenticateChallengeError, type DPoPHandle } from 'oauth4webapi';
import { isLoopbackHost } from './config.js';

export async function fetchWithToken(
  input: RequestInfo | URL,
  init: RequestInit,
  credentials: () => Promise<{ accessToken: string; dpop?: DPoPHandle }>,
): Promise<Response> {
  const request = new Request(input, init);
  // Read once: a retry needs the body again.
  const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.arrayBuffer();
  const send = async (): Promise<Response> => {
    const { accessToken, dpop } = await credentials();
    const headers = new Headers(request.headers);
    if (!dpop) {
      headers.set('authorization', `Bearer ${accessToken}`);
      return fetch(request.url, { ...init, method: request.method, headers, body });
    }
    const url = new URL(request.url);
    return protectedResourceRequest(accessToken, request.method, url, headers, body, {
      DPoP: dpop,
      ...(init.signal ? { signal: init.signal } : {}),
      // Plain http only to loopback APIs, as for issuers.
      [allowInsecureRequests]: isLoopbackHost(url.hostname),
    });
  };
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof WWWAuthenticateChallengeError)) throw error;
      if (attempt === 0 && isDPoPNonceError(error)) continue;
      return error.response;
    }
  }
}
