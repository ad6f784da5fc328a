/**
 * The page's side of the refresh token's vault (../token-worker.ts): which way a session's
 * token requests go (TokenRoute), and the vault itself: it takes the worker (started by
 * ../token-worker-start.ts), binds it to the session's client and endpoints, and gives
 * oauth4webapi a fetch that sends token and revocation requests through it. Where the worker
 * cannot start (CSP, Trusted Types, no Worker), the session keeps its refresh token in the page
 * as before, says so once on the console, and reports `tokenIsolation: 'page'`.
 */
import type { LoginConfig } from '../config.js';
import type { NetworkOptions, TokenIsolation } from '../session-contract.js';
import { refreshTokenInWorker } from '../token-store.js';
import { takeTokenWorker, type StartedWorker, type StartFailure } from '../token-worker-start.js';
import type { PageMessage, VaultAnswer, VaultBinding, WorkerMessage } from '../token-worker-protocol.js';
import { discover } from './provider.js';

export interface TokenVault {
  /** A fetch for the token and revocation endpoints only (oauth4webapi's customFetch), through the worker. */
  readonly fetch: typeof fetch;
  /** Drops a refresh token handle whose session ended without revocation. */
  forget(handle: string): void;
  /** Stops the worker; every handle it holds is gone. */
  close(): void;
}

/** How long the worker may take to load and answer; longer means it is blocked or broken. */
const HANDSHAKE_MS = 3_000;
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * Which way a session's token requests go: in memory mode through the vault, opened with the
 * first token request in parallel with discovery (which it needs), so that the refresh token
 * never enters the page (refreshTokenInWorker); else straight to the provider.
 */
export class TokenRoute {
  #vault: Promise<TokenVault | null> | null = null;
  #isolation: TokenIsolation | null = null;

  constructor(readonly config: LoginConfig, readonly network: NetworkOptions) {}

  /** Where the refresh token lives, once a token request has chosen (null before). */
  get isolation(): TokenIsolation | null { return this.#isolation; }

  /** The network options of a request: token requests through the vault when it runs. */
  async options(): Promise<NetworkOptions> {
    if (!refreshTokenInWorker(this.config, this.network)) {
      this.#isolation = 'page';
      return this.network;
    }
    this.#vault ??= openTokenVault(discover(this.config, this.network).then((as) => ({
      tokenEndpoint: as.token_endpoint!,
      revocationEndpoint: as.revocation_endpoint ?? null,
      clientId: this.config.clientId,
    })));
    let vault: TokenVault | null;
    try {
      vault = await this.#vault;
    } catch {
      this.#vault = null; // discovery failed: the request that needs it reports why
      return this.network;
    }
    this.#isolation = vault ? 'worker' : 'page';
    return vault ? { ...this.network, tokenFetch: vault.fetch } : this.network;
  }

  /** Drops `handle` from the vault: its session is over. */
  forget(handle: string | null | undefined): void {
    if (handle) void this.#vault?.then((vault) => vault?.forget(handle), () => {});
  }

  /** Stops the vault's worker, if one was opened. */
  close(): void {
    void this.#vault?.then((vault) => vault?.close(), () => {});
    this.#vault = null;
  }
}

/**
 * Takes the worker and binds it once `binding` (from discovery) is known; null, after one
 * console warning, when the worker cannot run here. Rejects only when `binding` does.
 */
export async function openTokenVault(binding: Promise<VaultBinding>): Promise<TokenVault | null> {
  let started: StartedWorker;
  try {
    started = await takeTokenWorker();
  } catch (error) {
    return keepInPage(startFailure((error as Error).message as StartFailure));
  }
  const { worker, loadFailed } = started;
  let bound: VaultBinding;
  try {
    bound = await binding;
  } catch (error) {
    worker.terminate();
    throw error;
  }
  const ready = await new Promise<string | null>((resolve) => {
    const timer = setTimeout(() => resolve('the worker did not answer in time'), HANDSHAKE_MS);
    void loadFailed.then(() => {
      clearTimeout(timer);
      resolve('the worker script could not be loaded (worker-src, script-src or a network error)');
    });
    worker.onmessage = (event: MessageEvent<WorkerMessage | null>) => {
      if (!event.data || !('ready' in event.data)) return;
      clearTimeout(timer);
      resolve(null);
    };
    post(worker, { binding: { tokenEndpoint: bound.tokenEndpoint, revocationEndpoint: bound.revocationEndpoint, clientId: bound.clientId } });
  });
  if (ready) {
    worker.terminate();
    return keepInPage(ready);
  }
  return vaultOf(worker);
}

/** The words for why the worker could not start (token-worker-start.ts says it in a code). */
function startFailure(failure: StartFailure): string {
  if (failure === 'no-worker') return 'this browser has no Worker';
  if (failure === 'integrity') return 'the worker script could not be fetched from its origin, or it failed its integrity check';
  if (failure === 'trusted-types') return 'Trusted Types refused the "closo-login" policy (add it to the trusted-types directive)';
  return `the worker could not be started (${failure.slice('worker-src '.length)}: check worker-src)`;
}

/** No vault (null): the refresh token stays in the page, and the console says why, once per vault that could not open. */
function keepInPage(reason: string): null {
  console.warn(`closo-login: refresh tokens are kept in the page, not in a worker: ${reason}. See docs/page-and-api.md (worker-src).`);
  return null;
}

const post = (worker: Worker, message: PageMessage) => worker.postMessage(message);

function vaultOf(worker: Worker): TokenVault {
  const waiting = new Map<number, { resolve: (response: Response) => void; reject: (reason: unknown) => void }>();
  let next = 0;
  worker.onmessage = (event: MessageEvent<VaultAnswer | null>) => {
    const answer = event.data;
    const call = answer && waiting.get(answer.id);
    if (!call) return;
    waiting.delete(answer.id);
    if (answer.failed) {
      call.reject(answer.failed === 'timeout' ? new DOMException('The token request timed out.', 'TimeoutError') : new TypeError('The token request failed.'));
      return;
    }
    const status = answer.status ?? 502;
    call.resolve(new Response(NULL_BODY_STATUSES.has(status) ? null : answer.body ?? '', { status, headers: answer.headers ?? [] }));
  };
  return {
    fetch: (input, init = {}) => new Promise<Response>((resolve, reject) => {
      const signal = init.signal;
      if (signal?.aborted) return reject(signal.reason);
      const id = ++next;
      waiting.set(id, { resolve, reject });
      signal?.addEventListener('abort', () => { if (waiting.delete(id)) reject(signal.reason); }, { once: true });
      const url = input instanceof Request ? input.url : String(input);
      post(worker, { id, url, headers: Object.fromEntries(new Headers(init.headers)), body: String(init.body ?? '') });
    }),
    forget: (handle) => post(worker, { forget: handle }),
    close: () => {
      worker.terminate();
      for (const call of waiting.values()) call.reject(new TypeError('The token vault was closed.'));
      waiting.clear();
    },
  };
}
