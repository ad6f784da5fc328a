// One small interface over three drivers, for the flows that run in every engine
// (test/e2e/engines.test.mjs): Playwright for Chromium, puppeteer-core over WebDriver BiDi for
// Firefox, webdriverio with WebKitWebDriver for WebKit (test/support/engines.mjs finds them).
// A profile is a fresh set of cookies and storage; a tab is a page in it. Every command has a
// time limit, and close() ends every process its engine started, also when a test failed.
// Every engine accepts the certificate the HTTPS stacks make at test time (support/tls.mjs).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium as playwrightChromium } from 'playwright';
import puppeteer from 'puppeteer-core';
import { remote } from 'webdriverio';
import { CHROMIUM_ARGS, chromiumExecutable, launchChromium } from '../../support/browser.mjs';
import { firefoxExecutable, startWebKitDriver } from '../../support/engines.mjs';

/** The time limit of one driver command; a flow's own waits pass theirs. */
export const COMMAND_MS = 15_000;

/** `promise`, or a rejection naming `what` once `ms` have passed. */
export async function withLimit(promise, what, ms = COMMAND_MS) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` in the tab until it returns a truthy value (which it resolves with). */
async function waitFor(tab, check, arg, ms, what) {
  for (const end = Date.now() + ms; ; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const value = await tab.evaluate(check, arg).catch(() => undefined);
    if (value) return value;
    if (Date.now() > end) throw new Error(`${what ?? 'a condition in the page'} not met within ${ms} ms`);
  }
}

/** Adds waitFor() to a tab made of goto/url/evaluate/clickPart/reload/close/waitForPopup. */
const tabOf = (commands) => {
  const tab = { ...commands, waitFor: (check, arg, ms = 10_000, what) => waitFor(tab, check, arg, ms, what) };
  return tab;
};

/**
 * Chromium, through Playwright: a profile is a browser context. Debian's Chromium blocks
 * third-party cookies by default; `third-party-allowed` is the setting a user can choose instead
 * (the profile preference cookie_controls_mode 0), in a persistent profile of its own.
 */
async function chromium(cookies) {
  const playwrightTab = (page) => tabOf({
    goto: (url) => withLimit(page.goto(url), `goto ${url}`),
    url: async () => page.url(),
    evaluate: (fn, arg) => withLimit(page.evaluate(fn, arg), 'evaluate'),
    clickPart: (host, part) => withLimit(page.locator(`${host} [part~="${part}"]`).click(), `click ${part}`),
    reload: () => withLimit(page.reload(), 'reload'),
    waitForPopup: async (open) => {
      const [popup] = await withLimit(Promise.all([page.waitForEvent('popup'), open()]), 'popup');
      return playwrightTab(popup);
    },
    close: () => withLimit(page.close(), 'close'),
  });
  if (cookies === 'third-party-allowed') {
    const dir = mkdtempSync(join(tmpdir(), 'closo-chromium-'));
    mkdirSync(join(dir, 'Default'));
    writeFileSync(join(dir, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: 0 } }));
    const context = await playwrightChromium.launchPersistentContext(dir, { executablePath: chromiumExecutable(), args: CHROMIUM_ARGS, headless: true, ignoreHTTPSErrors: true });
    return {
      // One profile: the persistent one.
      newProfile: async () => ({ newTab: async () => playwrightTab(await context.newPage()), close: async () => {} }),
      close: async () => {
        await withLimit(context.close(), 'close Chromium');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const browser = await launchChromium();
  return {
    async newProfile() {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      return {
        newTab: async () => playwrightTab(await context.newPage()),
        close: () => withLimit(context.close(), 'close the profile').catch(() => {}),
      };
    },
    close: () => withLimit(browser.close(), 'close Chromium'),
  };
}

/**
 * Firefox ESR, through puppeteer-core over WebDriver BiDi, with a stock Firefox's cookie policy:
 * Total Cookie Protection, whose heuristics grant a site storage access after a redirect through
 * it. `third-party-blocked` turns that heuristic off, as stricter settings do.
 */
async function firefox(cookies) {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxExecutable(),
    headless: true,
    acceptInsecureCerts: true,
    // puppeteer's own profile allows every cookie; a Firefox user has Total Cookie Protection (5).
    extraPrefsFirefox: {
      'network.cookie.cookieBehavior': 5,
      ...(cookies === 'third-party-blocked' ? { 'privacy.restrict3rdpartystorage.heuristic.navigation': false } : {}),
    },
  });
  const puppeteerTab = (page) => tabOf({
    goto: (url) => withLimit(page.goto(url), `goto ${url}`),
    url: async () => page.url(),
    evaluate: (fn, arg) => withLimit(page.evaluate(fn, arg), 'evaluate'),
    clickPart: (host, part) => withLimit(page.locator(`${host} >>> [part~="${part}"]`).click(), `click ${part}`),
    reload: () => withLimit(page.reload(), 'reload'),
    waitForPopup: async (open) => {
      const [popup] = await withLimit(Promise.all([new Promise((resolve) => page.once('popup', resolve)), open()]), 'popup');
      return puppeteerTab(popup);
    },
    close: () => withLimit(page.close(), 'close').catch(() => {}),
  });
  return {
    async newProfile() {
      const context = await browser.createBrowserContext();
      return {
        newTab: async () => puppeteerTab(await context.newPage()),
        close: () => withLimit(context.close(), 'close the profile').catch(() => {}),
      };
    },
    close: () => withLimit(browser.close(), 'close Firefox'),
  };
}

/**
 * WebKit's MiniBrowser, through WebKitWebDriver: a profile is a WebDriver session (its own browser
 * process). WebDriver classic drives one window at a time, so each tab's commands switch to its
 * window first, one command at a time. WebKit opens no window without a user gesture: new tabs
 * come from WebDriver's New Window command. `third-party-blocked` turns Intelligent Tracking
 * Prevention on, as Safari always has it (WebKitGTK's default leaves it off).
 */
async function webkit(cookies) {
  const driver = await startWebKitDriver(cookies === 'third-party-blocked' ? ['--enable-itp'] : []);
  const sessions = new Set();
  return {
    async newProfile() {
      // Starting a MiniBrowser takes seconds, and more on a loaded machine.
      const session = await withLimit(remote({ hostname: driver.hostname, port: driver.port, capabilities: driver.capabilities, logLevel: 'error' }), 'open a WebKit session', 60_000);
      sessions.add(session);
      let queue = Promise.resolve();
      /** Runs `command` alone, in `handle`'s window. */
      const inWindow = (handle, command, what) => {
        const run = queue.then(async () => {
          await session.switchToWindow(handle);
          return withLimit(command(), what);
        });
        queue = run.catch(() => {});
        return run;
      };
      const webdriverTab = (handle) => tabOf({
        goto: (url) => inWindow(handle, () => session.url(url), `goto ${url}`),
        url: () => inWindow(handle, () => session.getUrl(), 'url'),
        evaluate: (fn, arg) => inWindow(handle, () => session.execute(fn, arg), 'evaluate'),
        clickPart: (host, part) => inWindow(handle, async () => (await (await session.$(host)).shadow$(`[part~="${part}"]`)).click(), `click ${part}`),
        reload: () => inWindow(handle, () => session.refresh(), 'reload'),
        waitForPopup: async (open) => {
          const before = await inWindow(handle, () => session.getWindowHandles(), 'windows');
          await open();
          for (const end = Date.now() + COMMAND_MS; ; await new Promise((resolve) => setTimeout(resolve, 100))) {
            const opened = (await inWindow(handle, () => session.getWindowHandles(), 'windows')).find((h) => !before.includes(h));
            if (opened) return webdriverTab(opened);
            if (Date.now() > end) throw new Error('popup: no window opened');
          }
        },
        close: () => inWindow(handle, () => session.closeWindow(), 'close').catch(() => {}),
      });
      let first = true;
      return {
        async newTab() {
          if (first) {
            first = false;
            return webdriverTab(await withLimit(session.getWindowHandle(), 'window'));
          }
          const { handle } = await inWindow(await session.getWindowHandle(), () => session.createWindow('tab'), 'new tab');
          return webdriverTab(handle);
        },
        close: async () => {
          sessions.delete(session);
          await withLimit(session.deleteSession(), 'close the WebKit session').catch(() => {});
        },
      };
    },
    async close() {
      for (const session of sessions) await withLimit(session.deleteSession(), 'close a WebKit session').catch(() => {});
      driver.stop();
    },
  };
}

const LAUNCHERS = { chromium, firefox, webkit };

/**
 * Starts `engine`'s browser (and its driver); resolves with its profiles and close(). `cookies`:
 * the engine's default third-party cookie policy, or the other one it is tested with
 * (`third-party-allowed` for Chromium, `third-party-blocked` for Firefox and WebKit).
 */
export function launchEngine(engine, { cookies = 'default' } = {}) {
  return withLimit(LAUNCHERS[engine](cookies), `launch ${engine}`, 60_000);
}
