// The three browser engines the tests drive, as Debian packages them (.ci/run installs what is
// missing): Chromium through Playwright (browser.mjs), Firefox ESR through puppeteer-core over
// WebDriver BiDi, and WebKitGTK's MiniBrowser through WebKitWebDriver, under Xvfb (it has no
// headless mode). Playwright cannot drive these Firefox and WebKit builds, and the npm driver
// packages that download browsers cannot run here: these drivers use the installed browsers.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { isExecutable, onPath } from './executables.mjs';

export const ENGINES = ['chromium', 'firefox', 'webkit'];

/** The engines to run: all three, or those named in $ENGINES (`ENGINES=chromium npm test` while working). */
export function enginesToRun() {
  const named = (process.env.ENGINES ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of named) if (!ENGINES.includes(name)) throw new Error(`ENGINES names "${name}"; the engines are ${ENGINES.join(', ')}`);
  return named.length ? named : ENGINES;
}


/** $FIREFOX_PATH, else Firefox ESR or Firefox on PATH. */
export function firefoxExecutable() {
  const found = process.env.FIREFOX_PATH ?? onPath('firefox-esr') ?? onPath('firefox');
  if (!found) throw new Error('No Firefox found for the browser tests: install Debian\'s firefox-esr (apt-get install -y firefox-esr) or set FIREFOX_PATH.');
  return found;
}

const MINIBROWSER = ['/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser', '/usr/libexec/webkit2gtk-4.1/MiniBrowser'];

/** WebKitWebDriver and the MiniBrowser it starts ($WEBKIT_MINIBROWSER to choose another). */
export function webkitPaths() {
  const driver = onPath('WebKitWebDriver');
  const browser = process.env.WEBKIT_MINIBROWSER ?? MINIBROWSER.find(isExecutable);
  if (!driver || !browser) throw new Error('No WebKit found for the browser tests: install Debian\'s webkit2gtk-driver and xvfb (apt-get install -y webkit2gtk-driver xvfb).');
  return { driver, browser };
}

/** Whether `engine` can be launched on this machine (what .ci/run asks before installing it). */
export function engineInstalled(engine) {
  try {
    if (engine === 'firefox') firefoxExecutable();
    if (engine === 'webkit') {
      webkitPaths();
      if (!process.env.DISPLAY && !onPath('Xvfb')) return false;
    }
    return true;
  } catch {
    return false;
  }
}

const freePort = () => new Promise((resolve, reject) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
  server.on('error', reject);
});

/** Waits until `check` resolves true, polling; fails after `ms`. */
async function until(check, ms, what) {
  for (const end = Date.now() + ms; ; await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`${what} did not start within ${ms} ms`);
  }
}

/**
 * Starts WebKitWebDriver (and Xvfb when there is no display) on free ports; `stop()` ends both,
 * and they end with this process too. The capabilities to open a MiniBrowser session with it
 * (`browserArgs` added to the MiniBrowser's) are in `capabilities`.
 */
export async function startWebKitDriver(browserArgs = []) {
  const { driver, browser } = webkitPaths();
  const children = [];
  const stop = () => { for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL'); };
  process.once('exit', stop);
  let display = process.env.DISPLAY;
  try {
    if (!display) {
      display = `:${90 + Math.floor(Math.random() * 900)}`;
      const xvfb = spawn('Xvfb', [display, '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
      children.push(xvfb);
    }
    const port = await freePort();
    children.push(spawn(driver, [`--port=${port}`, '--host=127.0.0.1'], { stdio: 'ignore', env: { ...process.env, DISPLAY: display } }));
    await until(async () => (await fetch(`http://127.0.0.1:${port}/status`)).ok, 10_000, 'WebKitWebDriver');
    return {
      hostname: '127.0.0.1',
      port,
      capabilities: {
        browserName: 'MiniBrowser',
        'wdio:enforceWebDriverClassic': true,
        acceptInsecureCerts: true,
        'webkitgtk:browserOptions': { binary: browser, args: ['--automation', ...browserArgs] },
      },
      stop,
    };
  } catch (error) {
    stop();
    throw error;
  }
}
