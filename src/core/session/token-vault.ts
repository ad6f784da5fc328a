/**
 * The page's side of the refresh token's vault (token-worker.ts): starts the worker, binds it
 * to the session's client and endpoints, and gives oauth4webapi a fetch that sends token and
 * revocation requests through it. Where the worker cannot start (CSP, Trusted Types, no
 * Worker), the session keeps its refresh token in the page as before, says so once on the
 * console, and reports `tokenIsolation: 'page'`.
 */

export interface VaultBinding {
  readonly tokenEndpoint: string;
  readonly revocationEndpoint: string | null;
  readonly clientId: string;
}

export interface TokenVault {
  /** A fetch for the token and revocation endpoints only (oauth4webapi's customFetch), through the worker. */
  readonly fetch: typeof fetch;
  /** Drops a refresh token handle (null: all of them) when its session ends without revocation. */
  forget(handle: string | null): void;
}

/** How long the worker may take to load and answer; longer means it is blocked or broken. */
const HANDSHAKE_MS = 3_000;
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

interface Answer {
  readonly id: number;
  readonly status?: number;
  readonly headers?: [string, string][];
  readonly body?: string;
  readonly failed?: 'timeout' | 'network';
}

/**
 * Starts the vault and binds it once `binding` (from discovery) is known; null, after one
 * console warning, when the worker cannot run here. Rejects only when `binding` does.
 */
export async function openTokenVault(binding: Promise<VaultBinding>): Promise<TokenVault | null> {
  let worker: Worker;
  let loadFailed: Promise<void>;
  try {
    // Imported, not bundled in: a login by redirect never needs it; a callback page has it already (sessions.ts).
    ({ worker, loadFailed } = await (await import('../token-worker-start.js')).takeTokenWorker());
  } catch (error) {
    return inPage((error as Error).message);
  }
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
    worker.onmessage = (event: MessageEvent<{ ready?: boolean } | null>) => {
      if (!event.data?.ready) return;
      clearTimeout(timer);
      resolve(null);
    };
    worker.postMessage({ binding: { tokenEndpoint: bound.tokenEndpoint, revocationEndpoint: bound.revocationEndpoint, clientId: bound.clientId } });
  });
  if (ready) {
    worker.terminate();
    return inPage(ready);
  }
  return vaultOf(worker);
}

function inPage(reason: string): null {
  console.warn(`closo-login: refresh tokens are kept in the page, not in a worker: ${reason}. See docs/page-and-api.md (worker-src).`);
  return null;
}

function vaultOf(worker: Worker): TokenVault {
  const waiting = new Map<number, { resolve: (response: Response) => void; reject: (reason: unknown) => void }>();
  let next = 0;
  worker.onmessage = (event: MessageEvent<Answer | null>) => {
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
      worker.postMessage({ id, url, headers: Object.fromEntries(new Headers(init.headers)), body: String(init.body ?? '') });
    }),
    forget: (handle) => worker.postMessage({ forget: handle }),
  };
}
