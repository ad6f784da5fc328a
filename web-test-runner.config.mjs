// Unit tests: test/**/*.test.ts, mirroring src/ (one per module), in Chromium, Firefox and WebKit
// (test/support/engines.mjs; ENGINES=chromium for one of them).
import { existsSync } from 'node:fs';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { webdriverLauncher } from '@web/test-runner-webdriver';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, chromiumExecutable } from './test/support/browser.mjs';
import { enginesToRun, firefoxExecutable, startWebKitDriver } from './test/support/engines.mjs';

/**
 * A token endpoint and a revocation endpoint for the vault worker's tests (test/core/token-worker.test.ts):
 * each answer says what it received, and token answers carry a new refresh token `rt-secret-<n>`.
 */
let issued = 0;
async function echoEndpoints(context, next) {
  if (context.path !== '/echo-token' && context.path !== '/echo-revoke') return next();
  let body = '';
  for await (const chunk of context.req) body += chunk;
  // JSON for Auth0's passkey grant (token-worker.ts sends it so), else a form.
  const received = /^application\/json/.test(context.get('content-type')) ? JSON.parse(body) : Object.fromEntries(new URLSearchParams(body));
  context.set('content-type', 'application/json');
  context.set('dpop-nonce', 'nonce-1');
  context.body = JSON.stringify(context.path === '/echo-revoke'
    ? { received }
    : { access_token: `at-${++issued}`, token_type: 'bearer', expires_in: 60, refresh_token: `rt-secret-${issued}`, received, headers: { dpop: context.get('dpop'), cookie: context.get('cookie'), extra: context.get('x-extra') }, contentType: context.get('content-type') });
}

/** Sources are imported as .js (as the build emits them): a worker started by URL asks for the .js, served from the .ts. */
const sourcesAsJs = (context, next) => {
  if (/^\/src\/.+\.js$/.test(context.path) && existsSync(`.${context.path.replace(/\.js$/, '.ts')}`)) context.url = context.url.replace(/\.js(?=\?|$)/, '.ts');
  return next();
};

export default {
  files: ['test/*.test.ts', 'test/core/**/*.test.ts'],
  nodeResolve: true,
  middleware: [echoEndpoints, sourcesAsJs],
  plugins: [esbuildPlugin({ ts: true, tsconfig: 'tsconfig.json', target: 'es2022' })],
  browsers: await Promise.all(enginesToRun().map(async (engine) => {
    if (engine === 'firefox') {
      // puppeteer-core over WebDriver BiDi, with the prefs of a stock Firefox: puppeteer's own profile allows
      // every cookie (network.cookie.cookieBehavior 0), which is not what a Firefox user has (5).
      return chromeLauncher({
        puppeteer,
        launchOptions: { browser: 'firefox', executablePath: firefoxExecutable(), headless: true, extraPrefsFirefox: { 'network.cookie.cookieBehavior': 5 } },
      });
    }
    if (engine === 'webkit') {
      const { hostname, port, capabilities } = await startWebKitDriver(); // stopped when the runner exits
      return webdriverLauncher({ hostname, port, capabilities, logLevel: 'error' });
    }
    return playwrightLauncher({
      product: 'chromium',
      launchOptions: { executablePath: chromiumExecutable(), args: CHROMIUM_ARGS, headless: true },
    });
  })),
  testFramework: { config: { timeout: 5000 } },
  testsFinishTimeout: 120_000,
};
