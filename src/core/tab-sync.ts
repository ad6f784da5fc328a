import type { StoredSession } from './session-contract.js';
/**
 * The channel between tabs of the origin that carries logins, renewals and logouts
 * (BroadcastChannel). The locks that let one tab at a time use a refresh token are the
 * session's (session/tab-locks.ts): a page that only shows the button needs none of them.
 */

export type TabMessage =
  | { readonly type: 'login' | 'renewed'; readonly key: string; readonly session: StoredSession | null; readonly sessionId: string; readonly generation: number }
  | { readonly type: 'logout'; readonly key: string };

export interface TabChannel {
  post(message: TabMessage): void;
  close(): void;
}

/** The channel of `clientId`'s sessions in every tab of the origin (each message names its session by key). */
export function openTabChannel(clientId: string, onMessage: (message: TabMessage) => void): TabChannel {
  if (typeof BroadcastChannel !== 'function') return { post() {}, close() {} };
  const channel = new BroadcastChannel(`closo-login:${clientId}`);
  channel.onmessage = (event: MessageEvent<TabMessage>) => {
    if (event.data && typeof event.data === 'object') onMessage(event.data);
  };
  return {
    post: (message) => channel.postMessage(message),
    close: () => channel.close(),
  };
}
