/**
 * Calling an API with the session's access token (RFC 6750 §2.1, RFC 9449 §7): `Bearer`,
 * or `DPoP` with a fresh proof for the request's method and URL. A resource server's
 * `use_dpop_nonce` challenge is answered once (the DPoP handle keeps nonces per server), and
 * its demand for a stronger login (RFC 9470) is a typed `step_up_required`.
 */
import {
  allowInsecureRequests,
  customFetch,
  isDPoPNonceError,
  protectedResourceRequest,
  WWWAuthenticateChallengeError,
  type DPoPHandle,
  type WWWAuthenticateChallenge,
} from 'oauth4webapi';
import { isLoopbackHost } from '../config.js';
import { AuthError } from '../errors.js';

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
      const response = await fetch(request.url, { ...init, method: request.method, headers, body });
      assertNoStepUp(await challengesOf(response, accessToken));
      return response;
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
      assertNoStepUp(error.cause);
      return error.response;
    }
  }
}

/**
 * The WWW-Authenticate challenges of a 401 answer. oauth4webapi parses them only inside its
 * resource request: it is handed the answer already received (a copy), and reports them.
 */
async function challengesOf(response: Response, accessToken: string): Promise<WWWAuthenticateChallenge[]> {
  if (response.status !== 401 || !response.headers.has('www-authenticate')) return [];
  try {
    await protectedResourceRequest(accessToken, 'GET', new URL(response.url || 'https://api.invalid/'), new Headers(), null, {
      [customFetch]: async () => response.clone(),
      [allowInsecureRequests]: true,
    });
  } catch (error) {
    if (error instanceof WWWAuthenticateChallengeError) return error.cause;
  }
  return [];
}

/** RFC 9470 §3: the API asks for a more recent or stronger login, with the acr_values and max_age it wants. */
function assertNoStepUp(challenges: readonly WWWAuthenticateChallenge[]): void {
  const stepUp = challenges.find((challenge) => challenge.parameters.error === 'insufficient_user_authentication');
  if (!stepUp) return;
  const { acr_values: acrValues, max_age: maxAge } = stepUp.parameters;
  throw new AuthError('step_up_required', `The API asks for a stronger login${acrValues ? ` (acr_values "${acrValues}")` : ''}${maxAge ? ` within ${maxAge} s` : ''}: log in again with those authorization parameters.`, {
    stepUp: { ...(acrValues ? { acrValues } : {}), ...(maxAge && /^\d+$/.test(maxAge) ? { maxAge: Number(maxAge) } : {}) },
  });
}
