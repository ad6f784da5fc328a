// Finds a Chromium to drive: $CHROME_PATH, then Debian's /usr/bin/chromium (and other
// common system paths), then chromium / chromium-browser / google-chrome on PATH, then the
// browser Playwright may have downloaded itself. .ci/run asks this file, so both agree.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright';
import { isExecutable, onPath } from './executables.mjs';

/** Flags that keep Chromium from stalling on blocked network calls in closed networks (CI). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

const SYSTEM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
const COMMANDS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];


export function chromiumExecutable() {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROME_PATH is set to ${fromEnv}, but no file is there.`);
    return fromEnv;
  }
  // The first of COMMANDS found on PATH, as `command -v` would find it.
  const system = SYSTEM_PATHS.find(isExecutable) ?? COMMANDS.map(onPath).find(Boolean);
  if (system) return system;
  let bundled;
  try {
    bundled = chromium.executablePath();
  } catch {
    bundled = undefined;
  }
  if (bundled && existsSync(bundled)) return bundled;
  throw new Error([
    'No Chromium found for the browser tests. Install one of:',
    '  - Debian/Ubuntu: sudo apt-get install -y chromium   (gives /usr/bin/chromium)',
    '  - Playwright\'s own build: npx playwright install chromium',
    '  - or put chromium (or chromium-browser, google-chrome) on PATH, or point CHROME_PATH at any Chromium or Chrome binary.',
  ].join('\n'));
}

export function launchChromium(options = {}) {
  return chromium.launch({ executablePath: chromiumExecutable(), args: CHROMIUM_ARGS, headless: true, ...options });
}
