// A provider for silent sign-in tests (silent-login.test.ts, renewal.test.ts).
import { resolveConfig, type LoginOptions } from '../../src/core/config.js';
import { CLIENT_ID, fakeFetch, json, metadata, tokenResponse, type SeenRequest } from './responses.js';

// The provider runs on this test server under another origin (127.0.0.1 next to the page's
// localhost: loopback http, as for a development issuer), so that its authorization endpoint and
// the redirect URI are pages the frame really loads, the first one cross-origin. The test plays
// the provider by sending the frame on to the redirect URI with an answer; the provider's other
// endpoints go through the fetch seam.
export const PAGE_PATH = '/test/support/blank.html';
export const ISSUER = `http://127.0.0.1:${location.port}/`;
export const AUTHORIZE = `${ISSUER.slice(0, -1)}${PAGE_PATH}`;
export const REDIRECT_URI = `${location.origin}${PAGE_PATH}`;
export const TOKEN_ENDPOINT = `${ISSUER}oauth/token`;
/** The wait when the test answers: short, yet long enough for the pages to load on a busy machine. */
export const ANSWER_MS = 4000;
/** A configuration for that provider (`options` added). */
export const configWith = (options: LoginOptions = {}) => resolveConfig({ issuer: ISSUER, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, ...options }, location);
export const silentConfig = configWith();

/**
 * The provider: discovery, and a token endpoint that redeems the code `good` for the nonce of the
 * request it saw, with an ID token for the unit user (`claims` added).
 */
export function provider(claims: Record<string, unknown> = {}) {
  let nonce = '';
  const network = fakeFetch({
    [`${ISSUER}.well-known/openid-configuration`]: () => json({
      ...metadata, // its jwks_uri: https, served by fakeFetch
      issuer: ISSUER,
      authorization_endpoint: AUTHORIZE,
      token_endpoint: TOKEN_ENDPOINT,
    }),
    [TOKEN_ENDPOINT]: (request: SeenRequest) =>
      (request.body?.get('code') === 'good' ? tokenResponse(nonce, {}, { iss: ISSUER, ...claims }) : json({ error: 'invalid_grant' }, 400)),
  });
  const tokenRequests = () => network.seen.filter((r) => r.url === TOKEN_ENDPOINT);
  return { network, tokenRequests, setNonce: (value: string) => { nonce = value; } };
}

export const frames = () => [...document.querySelectorAll('iframe')];

/** The silent sign-in frame once it has loaded the authorization request (on the provider's origin: read from its src), and that request. */
export function authorizationFrame(): Promise<{ frame: HTMLIFrameElement; request: URL }> {
  return new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      const frame = frames()[0];
      if (!frame) return;
      observer.disconnect();
      frame.addEventListener('load', () => resolve({ frame, request: new URL(frame.src) }), { once: true });
    });
    observer.observe(document.body, { childList: true, subtree: true });
  });
}

/** The provider's answer: the frame goes on to `url`, as a redirect from the provider would send it. */
export const answer = (frame: HTMLIFrameElement, url: string) => frame.contentWindow!.location.replace(url);
export const responseUrl = (params: Record<string, string>, base = REDIRECT_URI) => `${base}?${new URLSearchParams(params)}`;
