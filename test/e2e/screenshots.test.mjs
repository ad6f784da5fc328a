// Screenshots of each state in light and dark pages, compared with the pictures the README
// shows (docs/images/). UPDATE_SCREENSHOTS=1 npm run test:e2e writes new ones after a
// deliberate change of look.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import { logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const images = fileURLToPath(new URL('../../docs/images/', import.meta.url));
const update = process.env.UPDATE_SCREENSHOTS === '1';
const env = useStack();

afterEach(() => {
  for (const key of Object.keys(env.provider.faults)) delete env.provider.faults[key];
});

/** Compares a screenshot with its baseline: same size, at most 1% of pixels visibly different. */
function matches(name, buffer) {
  const file = `${images}${name}.png`;
  if (update || !existsSync(file)) {
    mkdirSync(images, { recursive: true });
    writeFileSync(file, buffer);
    return;
  }
  const expected = PNG.sync.read(readFileSync(file));
  const actual = PNG.sync.read(buffer);
  assert.deepEqual([actual.width, actual.height], [expected.width, expected.height], `${name}: size changed`);
  const differing = pixelmatch(expected.data, actual.data, null, actual.width, actual.height, { threshold: 0.1 });
  assert.ok(differing <= actual.width * actual.height * 0.01, `${name}: ${differing} pixels differ from docs/images/${name}.png`);
}

for (const colorScheme of ['light', 'dark']) {
  describe(`look, ${colorScheme}`, () => {
    it('logged out, busy, logged in and error match the README pictures', async () => {
      const context = await env.browser.newContext({ colorScheme, deviceScaleFactor: 1, viewport: { width: 640, height: 360 } });
      const page = await env.newPage(context);
      const shot = (locator) => locator.screenshot({ animations: 'disabled', caret: 'hide', padding: 0 });
      await page.goto(`${env.origin}/fixtures/a11y.html`);
      const login = page.locator('closo-login');
      await login.getByRole('button', { name: 'Log in' }).waitFor();
      const loggedOut = await shot(login);

      env.provider.faults.token = { delayMs: 1500 };
      await login.getByRole('button', { name: 'Log in' }).click();
      await logInAtProvider(page);
      await login.getByRole('button', { name: 'Logging in…' }).waitFor();
      await page.mouse.move(0, 0);
      const busy = await shot(login);
      await waitForEvents(page, 'token');
      await login.getByRole('button', { name: 'Log out' }).waitFor();
      const loggedIn = await shot(login);

      // A configuration error on the same page: the element shows it and disables the button.
      await login.evaluate((el) => { el.logout({ localOnly: true }); el.clientId = ''; });
      await login.locator('[part=error]').waitFor();
      const error = await shot(login);

      const pictures = { 'logged-out': loggedOut, busy, 'logged-in': loggedIn, error };
      // The states look different from each other...
      assert.equal(new Set(Object.values(pictures).map((b) => b.toString('base64'))).size, 4);
      // ...and as documented.
      for (const [state, buffer] of Object.entries(pictures)) matches(`${state}-${colorScheme}`, buffer);
      await context.close();
    });
  });
}
