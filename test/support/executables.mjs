// Where the installed programs the tests drive are (browsers, drivers): shared by browser.mjs
// (Chromium) and engines.mjs (Firefox, WebKit).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Whether `path` is a file this process may run. */
export function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `command` as `command -v` finds it on PATH, or undefined. */
export const onPath = (command) => (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, command)).find(isExecutable);
