// Unit tests: test/**/*.test.ts, mirroring src/ (one per module), in a real Chromium.
import { existsSync } from 'node:fs';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { CHROMIUM_ARGS, chromiumExecutable } from './test/support/browser.mjs';

/**
 * A token endpoint and a revocation endpoint for the vault worker's tests (test/core/token-worker.test.ts):
 * each answer says what it received, and token answers carry a new refresh token `rt-secret-<n>`.
 */
let issued = 0;
async function echoEndpoints(context, next) {
  if (context.path !== '/echo-token' && context.path !== '/echo-revoke') return next();
  let body = '';
  for await (const chunk of context.req) body += chunk;
  const received = Object.fromEntries(new URLSearchParams(body));
  context.set('content-type', 'application/json');
  context.set('dpop-nonce', 'nonce-1');
  context.body = JSON.stringify(context.path === '/echo-revoke'
    ? { received }
    : { access_token: `at-${++issued}`, token_type: 'bearer', expires_in: 60, refresh_token: `rt-secret-${issued}`, received, headers: { dpop: context.get('dpop'), cookie: context.get('cookie'), extra: context.get('x-extra') } });
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
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: { executablePath: chromiumExecutable(), args: CHROMIUM_ARGS, headless: true },
    }),
  ],
  testFramework: { config: { timeout: 5000 } },
  testsFinishTimeout: 120_000,
};
