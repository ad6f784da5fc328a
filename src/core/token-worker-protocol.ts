/**
 * The messages between the page's side of the refresh token's vault (session/token-vault.ts)
 * and the vault worker (token-worker.ts). Types only: the worker imports them with
 * `import type`, so that at run time it still imports nothing and runs from a blob: URL.
 */

/** What the worker is bound to, once, by its first message. */
export interface VaultBinding {
  readonly tokenEndpoint: string;
  readonly revocationEndpoint: string | null;
  readonly clientId: string;
}

/** The handle the page holds in place of a refresh token; only the worker that issued it can use it. */
export type RefreshTokenHandle = `closo-rt.${string}`;

/** A token or revocation request: oauth4webapi's fetch call, with the body as form text. */
export interface VaultRequest {
  readonly id: number;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What the page sends: the binding (first), requests, and handles to drop when a session ends unrevoked. */
export type PageMessage = { readonly binding: VaultBinding } | VaultRequest | { readonly forget: string };

/** The answer to request `id`: the endpoint's response, or why none came. */
export interface VaultAnswer {
  readonly id: number;
  readonly status?: number;
  readonly headers?: [string, string][];
  readonly body?: string;
  readonly failed?: 'timeout' | 'network';
}

/** What the worker sends: that it is bound, then one answer per request. */
export type WorkerMessage = { readonly ready: true } | VaultAnswer;
