/**
 * Locks between tabs of the origin, so that one refresh token is used by one tab at a time
 * (Web Locks API; renewal.ts), and marks that every tab sees at once.
 */
/** The Web Locks API, where the browser has it. */
const webLocks = (): LockManager | undefined => (globalThis.navigator as Navigator | undefined)?.locks;

const localQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `task` while holding the lock `name` across all tabs of the origin. Where the
 * Web Locks API is missing, tasks are serialised within this tab only.
 */
export function withTabLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = webLocks();
  if (locks?.request) return locks.request(name, task) as Promise<T>;
  const previous = localQueues.get(name) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(task);
  localQueues.set(name, run);
  return run;
}

/** Lets queued tasks (messages from other tabs, storage events) run first. */
export const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Marks `name` for as long as this page lives, or until the returned function is called. The
 * Web Locks API answers queries from the browser itself, so every tab sees the mark at once,
 * unlike storage and BroadcastChannel, which reach other tabs a little later and in no fixed
 * order. Resolves once the mark is in place.
 */
export function holdMark(name: string): Promise<() => void> {
  const locks = webLocks();
  if (!locks?.request) return Promise.resolve(() => {});
  return new Promise((marked) => {
    locks.request(name, () => new Promise<void>((release) => marked(() => release()))).catch(() => marked(() => {}));
  });
}

/** Whether some tab of the origin holds the mark `name` (false where Web Locks are missing). */
export async function isMarked(name: string): Promise<boolean> {
  const locks = webLocks();
  if (!locks?.query) return false;
  const { held = [] } = await locks.query();
  return held.some((lock) => lock.name === name);
}
