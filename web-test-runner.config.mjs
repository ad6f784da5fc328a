// Unit tests: test/**/*.test.ts, mirroring src/ (one per module), in a real Chromium.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { CHROMIUM_ARGS, chromiumExecutable } from './test/support/browser.mjs';

export default {
  files: ['test/*.test.ts', 'test/core/*.test.ts'],
  nodeResolve: true,
  // An endpoint that answers 204 No Content: navigating to it leaves the test page where it is,
  // as a provider's 204, a download or a cancelled navigation would (redirect-login's watchdog).
  middleware: [(context, next) => (context.path === '/no-content' ? void (context.status = 204) : next())],
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
