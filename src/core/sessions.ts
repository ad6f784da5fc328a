/**
 * The page's sessions: which elements share one. Elements share a session when they ask for
 * the same tokens, kept the same way: issuer, client, audience, scope, storage and DPoP. The
 * rest (redirect URI, parameters, logout URI, mode) travels with each call; renewal settings
 * (renew-before, timeout, silent) are those of the element that came first.
 */
import type { LoginConfig } from './config.js';
import type { NetworkOptions } from './provider.js';
import { Session } from './session.js';

const sessions = new Map<string, Session>();

/** The page's session for this configuration, created on first use. */
export function sessionFor(config: LoginConfig, network: NetworkOptions = {}): Session {
  // Scopes are a set (RFC 6749 §3.3): `openid email` and `email openid` ask for the same tokens.
  const scopes = config.scope.split(' ').sort().join(' ');
  const key = JSON.stringify([config.issuer, config.clientId, config.audience, scopes, config.storage, config.dpop]);
  let session = sessions.get(key);
  if (!session) {
    session = new Session(config, network);
    sessions.set(key, session);
  }
  return session;
}
