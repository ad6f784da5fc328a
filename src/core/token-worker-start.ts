/**
 * Starts the refresh token's vault worker (token-worker.ts) for the vault
 * (session/token-vault.ts). Part of the first load, so that a callback page starts the worker
 * as soon as the element sees the callback (session-handle.ts), side by side with the loading
 * of the session's code: the code exchange goes through the worker, and the first worker of a
 * page takes 30 to 50 ms to start (bench/trace-callback.mjs). The next vault takes that worker.
 */

/**
 * The worker file's Subresource Integrity (sha384), written in by the drop-in build
 * (rollup.config.mjs): a worker fetched from another origin (a CDN) runs only if it is the
 * file this build made. The npm build leaves it empty: a bundler serves the file from the
 * app's own origin.
 */
const WORKER_INTEGRITY: string = '';

/**
 * The worker, from the file beside this module (the drop-in and the npm build ship it there).
 * Browsers run only same-origin worker scripts: from a CDN, the file is fetched, checked against
 * the build's Subresource Integrity and started from a blob: URL. Under Trusted Types, the
 * `closo-login` policy vouches for these URLs only.
 */
async function startWorker(): Promise<StartedWorker> {
  if (typeof Worker !== 'function') throw new Error('no-worker');
  const file = new URL('./token-worker.js', import.meta.url);
  let href = file.href;
  if (file.origin !== location.origin) {
    const response = await fetch(file, { credentials: 'omit', integrity: WORKER_INTEGRITY }).catch(() => null);
    if (!response?.ok) throw new Error('integrity');
    href = URL.createObjectURL(new Blob([await response.text()], { type: 'text/javascript' }));
  }
  let scriptUrl: unknown = href;
  try {
    scriptUrl = trustedScriptUrl(href);
  } catch {
    throw new Error('trusted-types');
  }
  let worker: Worker;
  try {
    worker = new Worker(scriptUrl as string, { type: 'module', name: 'closo-login token vault' });
  } catch (error) {
    throw new Error(`worker-src ${(error as Error | undefined)?.name ?? 'Error'}`);
  }
  // Heard from the start: the worker may fail (worker-src, a network error) while discovery is still under way.
  const loadFailed = new Promise<void>((resolve) => {
    worker.addEventListener('error', (event) => { event.preventDefault(); resolve(); }, { once: true });
  });
  return { worker, loadFailed };
}

/**
 * Why a worker could not start, as the error's message: `no-worker`, `integrity`, `trusted-types`
 * or `worker-src <error name>`. The vault (session/token-vault.ts) words it for the console: the
 * words stay out of the first load.
 */
export type StartFailure = 'no-worker' | 'integrity' | 'trusted-types' | `worker-src ${string}`;

/** A worker just started, and whether its script failed to load or run. */
export interface StartedWorker {
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

let started: Promise<StartedWorker> | null = null;
let taken = false;

/** Starts a worker ahead of the vault that will use it, unless a vault already started its own. */
export function startTokenWorker(): void {
  if (taken) return;
  started ??= startWorker();
  started.catch(() => {}); // the vault that takes it reports the failure
}

/** The worker started ahead, or a new one. */
export function takeTokenWorker(): Promise<StartedWorker> {
  const worker = started ?? startWorker();
  started = null;
  taken = true;
  return worker;
}
