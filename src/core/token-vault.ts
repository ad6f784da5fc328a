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

/**
 * The worker file's Subresource Integrity (sha384), written in by the drop-in build
 * (rollup.config.mjs): a worker fetched from another origin (a CDN) runs only if it is the
 * file this build made. The npm build leaves it empty: a bundler serves the file from the
 * app's own origin.
 */
const WORKER_INTEGRITY: string = '';

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
    ({ worker, loadFailed } = await startWorker());
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

/**
 * The worker, from the file beside this module (the drop-in and the npm build ship it there).
 * Browsers run only same-origin worker scripts: from a CDN, the file is fetched, checked against
 * the build's Subresource Integrity and started from a blob: URL. Under Trusted Types, the
 * `closo-login` policy vouches for these URLs only.
 */
async function startWorker(): Promise<StartedWorker> {
  if (typeof Worker !== 'function') throw new Error('this browser has no Worker');
  const file = new URL('./token-worker.js', import.meta.url);
  let href = file.href;
  if (file.origin !== location.origin) {
    const response = await fetch(file, { credentials: 'omit', integrity: WORKER_INTEGRITY }).catch(() => null);
    if (!response?.ok) throw new Error('the worker script could not be fetched from its origin, or it failed its integrity check');
    href = URL.createObjectURL(new Blob([await response.text()], { type: 'text/javascript' }));
  }
  let scriptUrl: unknown = href;
  try {
    scriptUrl = trustedScriptUrl(href);
  } catch {
    throw new Error('Trusted Types refused the "closo-login" policy (add it to the trusted-types directive)');
  }
  let worker: Worker;
  try {
    worker = new Worker(scriptUrl as string, { type: 'module', name: 'closo-login token vault' });
  } catch (error) {
    throw new Error(`the worker could not be started (${(error as Error | undefined)?.name ?? 'Error'}: check worker-src)`);
  }
  // Heard from the start: the worker may fail (worker-src, a network error) while discovery is still under way.
  const loadFailed = new Promise<void>((resolve) => {
    worker.addEventListener('error', (event) => { event.preventDefault(); resolve(); }, { once: true });
  });
  return { worker, loadFailed };
}

/** A worker just started, and whether its script failed to load or run. */
interface StartedWorker {
  readonly worker: Worker;
  readonly loadFailed: Promise<void>;
}

interface TrustedTypesLike {
  createPolicy(name: string, rules: { createScriptURL(input: string): string }): { createScriptURL(input: string): unknown };
}

let policy: { createScriptURL(input: string): unknown } | null = null;
const vouched = new Set<string>();

/** `href` as a TrustedScriptURL where the browser has Trusted Types; the policy accepts only URLs vouched for here. */
function trustedScriptUrl(href: string): unknown {
  const trustedTypes = (globalThis as { trustedTypes?: TrustedTypesLike }).trustedTypes;
  if (!trustedTypes) return href;
  vouched.add(href);
  policy ??= trustedTypes.createPolicy('closo-login', {
    createScriptURL: (input) => {
      if (!vouched.has(input)) throw new TypeError('closo-login creates workers from its own script only.');
      return input;
    },
  });
  return policy.createScriptURL(href);
}
