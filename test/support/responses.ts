// Unit-test helpers for oauth4webapi's customFetch seam: canned provider answers built
// per test (metadata, a signed ID token) and a log of the requests the code made.
// End-to-end tests use the real local provider instead.

export const ISSUER = 'https://tenant.example.com/';
export const CLIENT_ID = 'unit-client';
export const AUDIENCE = 'https://api.example.com';

export const metadata = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}authorize`,
  token_endpoint: `${ISSUER}oauth/token`,
  jwks_uri: `${ISSUER}.well-known/jwks.json`,
  authorization_response_iss_parameter_supported: true,
  code_challenge_methods_supported: ['S256'],
};

export interface SeenRequest {
  url: string;
  method: string;
  body: URLSearchParams | null;
  /** The body as sent, when it was text or a form. */
  text: string | null;
  headers: Headers;
}

export type Answer = (request: SeenRequest) => Response | Promise<Response>;

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A fetch that answers by URL and records every request. */
export function fakeFetch(answers: Record<string, Answer>) {
  const seen: SeenRequest[] = [];
  const fetchFn = async (url: string | URL | Request, init: RequestInit = {}) => {
    const href = String(url instanceof Request ? url.url : url);
    const request: SeenRequest = {
      url: href,
      method: init.method ?? 'GET',
      body: init.body instanceof URLSearchParams ? init.body : typeof init.body === 'string' ? new URLSearchParams(init.body) : null,
      text: init.body instanceof URLSearchParams || typeof init.body === 'string' ? String(init.body) : null,
      headers: new Headers(init.headers),
    };
    seen.push(request);
    const answer = answers[href.split('?')[0]!] ?? (href === metadata.jwks_uri ? async () => json(await jwks()) : undefined);
    if (!answer) throw new TypeError(`Failed to fetch ${href}`);
    return answer(request);
  };
  return { fetch: fetchFn as typeof fetch, seen };
}

const b64url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const b64urlJson = (value: unknown) => b64url(new TextEncoder().encode(JSON.stringify(value)));

let signingKey: Promise<CryptoKeyPair> | undefined;

/** The tenant's JWKS: the public half of the test signing key. */
export async function jwks() {
  await signJwt({}); // makes the key
  const { publicKey } = await signingKey!;
  const jwk = await crypto.subtle.exportKey('jwk', publicKey);
  return { keys: [{ kty: jwk.kty, n: jwk.n, e: jwk.e, kid: 'k1', alg: 'RS256', use: 'sig' }] };
}

/** An RS256 JWT signed with a key made for the test run. */
export async function signJwt(payload: Record<string, unknown>, header: Record<string, unknown> = {}) {
  signingKey ??= crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  ) as Promise<CryptoKeyPair>;
  const { privateKey } = await signingKey;
  const input = `${b64urlJson({ alg: 'RS256', typ: 'JWT', kid: 'k1', ...header })}.${b64urlJson(payload)}`;
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', privateKey, new TextEncoder().encode(input));
  return `${input}.${b64url(signature)}`;
}

/** ID token claims as an Auth0 tenant would issue them for the demo user. */
export function idTokenClaims(nonce: string, overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    sub: 'auth0|unit-user',
    aud: CLIENT_ID,
    iat: now,
    exp: now + 3600,
    nonce,
    name: 'Unit User',
    email: 'unit@example.com',
    ...overrides,
  };
}

/** A successful token endpoint answer for the nonce of the pending login. */
export async function tokenResponse(nonce: string, overrides: Record<string, unknown> = {}, claims: Record<string, unknown> = {}) {
  return json({
    access_token: await signJwt({ iss: ISSUER, aud: [AUDIENCE], sub: 'auth0|unit-user', scope: 'openid profile email offline_access' }),
    token_type: 'Bearer',
    expires_in: 86400,
    scope: 'openid profile email offline_access',
    id_token: await signJwt(idTokenClaims(nonce, claims)),
    refresh_token: 'rt-1',
    ...overrides,
  });
}

export async function sha256Base64url(value: string) {
  return b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)));
}

/** Removes everything closo-login keeps in sessionStorage. */
export function clearClosoStorage() {
  for (const key of Object.keys(sessionStorage)) if (key.startsWith('closo-login:')) sessionStorage.removeItem(key);
}
