/**
 * Calling an API with the session's access token (RFC 6750 §2.1, RFC 9449 §7): `Bearer`,
 * or `DPoP` with a fresh proof for the request's method and URL (dpop.ts, loaded only then).
 */
import type { DPoPHandle } from 'oauth4webapi';

export async function fetchWithToken(
  input: RequestInfo | URL,
  init: RequestInit,
  credentials: () => Promise<{ accessToken: string; dpop?: DPoPHandle }>,
): Promise<Response> {
  const { accessToken, dpop } = await credentials();
  if (dpop) return (await import('./dpop.js')).fetchWithProof(input, init, accessToken, dpop);
  const request = new Request(input, init);
  const headers = new Headers(request.headers);
  headers.set('authorization', `Bearer ${accessToken}`);
  return fetch(new Request(request, { headers }));
}
