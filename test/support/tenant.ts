// A login against the canned tenant of responses.ts: the configuration the core unit tests
// share, a login started through the real startLogin, and the callback URL it comes back to.
import { expect } from '@esm-bundle/chai';
import { completeLogin } from '../../src/core/session/callback.js';
import { resolveConfig } from '../../src/core/config.js';
import { takePendingLogin, type PendingLogin } from '../../src/core/session/pending-login.js';
import { startLogin } from '../../src/core/session/redirect-login.js';
import { rejection } from './assertions.js';
import { AUDIENCE, CLIENT_ID, ISSUER, fakeFetch, json, metadata, type Answer } from './responses.js';
import type { NetworkOptions } from '../../src/core/session-contract.js';

export const page = { origin: 'https://app.example.com', pathname: '/account' };
export const config = resolveConfig({ issuer: ISSUER, clientId: CLIENT_ID, audience: AUDIENCE, redirectUri: 'https://app.example.com/callback' }, page);

/** The tenant's discovery document, and its token endpoint answering with `token`. */
export function tenant(token?: Answer) {
  return fakeFetch({
    [`${ISSUER}.well-known/openid-configuration`]: () => json(metadata),
    ...(token ? { [metadata.token_endpoint]: token } : {}),
  });
}

/** Starts a login and returns its authorization URL and the pending login it stored (taken, as the callback takes it). */
export async function begin(network: NetworkOptions) {
  const url = await startLogin(config, { returnTo: '/account?tab=2' }, network);
  const state = url.searchParams.get('state')!;
  const pending = takePendingLogin(CLIENT_ID, state)!;
  return { url, pending };
}

/** The callback URL with these parameters in its query. */
export const response = (params: Record<string, string>) => new URL(`https://app.example.com/callback?${new URLSearchParams(params)}`);

/** Completes a login answered with `params(pending)`, the token endpoint answering `token`: it must fail with `code`. */
export async function loginFailsWith(params: (pending: PendingLogin) => Record<string, string>, token: Answer | undefined, code: string) {
  const network = tenant(token);
  const { pending } = await begin(network);
  const error = await rejection(completeLogin(config, pending, response(params(pending)), network));
  expect(error.code).to.equal(code);
  return { error, network };
}
