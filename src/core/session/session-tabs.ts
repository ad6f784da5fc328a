/**
 * A session's side of the tab channel (../tab-sync.ts): it tells the other tabs of the origin
 * about its logins, renewals and logouts, and hears theirs. Tokens travel only in the modes
 * where they are stored anyway: in memory mode, a message that carries a session is forged
 * (any script of the origin can post on the channel) and is ignored.
 */
import type { LoginConfig } from '../config.js';
import type { StoredSession } from '../session-contract.js';
import { openTabChannel } from '../tab-sync.js';

/** What another tab of the origin did with this session. */
export interface TabEvents {
  /** It logged out, or its refresh token was refused. */
  onLogout(): void;
  /** It renewed: its session, for this tab to adopt when it is a newer generation of this one's. */
  onRenewal(session: StoredSession): void;
  /** It logged in (storage="local" only). */
  onLogin(session: StoredSession): void;
}

export interface SessionTabs {
  announceLogin(session: StoredSession): void;
  announceRenewal(session: StoredSession): void;
  announceLogout(): void;
  close(): void;
}

/** Joins the channel for the session stored under `key`. */
export function joinTabs(config: LoginConfig, key: string, on: TabEvents): SessionTabs {
  const channel = openTabChannel(config.clientId, (message) => {
    if (message.key !== key) return;
    if (message.type === 'logout') on.onLogout();
    else if (config.storage === 'memory' || !message.session) return;
    else if (message.type === 'renewed') on.onRenewal(message.session);
    else if (config.storage === 'local') on.onLogin(message.session);
  });
  const post = (type: 'login' | 'renewed', session: StoredSession) => channel.post({
    type, key, session: config.storage === 'memory' ? null : session, sessionId: session.sessionId, generation: session.generation,
  });
  return {
    announceLogin: (session) => post('login', session),
    announceRenewal: (session) => post('renewed', session),
    announceLogout: () => channel.post({ type: 'logout', key }),
    close: () => channel.close(),
  };
}
