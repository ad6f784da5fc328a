// Screenshots of each state in light and dark pages, compared with the pictures the README
// shows (docs/images/). UPDATE_SCREENSHOTS=1 npm run test:e2e writes new ones after a
// deliberate change of look.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import { logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const images = fileURLToPath(new URL('../../docs/images/', import.meta.url));
const results = fileURLToPath(new URL('../../test-results/', import.meta.url));
const update = process.env.UPDATE_SCREENSHOTS === '1';
const env = useStack();

/**
 * Compares a screenshot with its baseline: same size, and at most 0.1% of pixels visibly
 * different (pixelmatch already ignores anti-aliasing), which a changed word exceeds. On a
 * mismatch the new picture goes to test-results/ to look at.
 */
function matches(name, buffer) {
  const file = `${images}${name}.png`;
  if (update || !existsSync(file)) {
    mkdirSync(images, { recursive: true });
    writeFileSync(file, buffer);
    return;
  }
  const expected = PNG.sync.read(readFileSync(file));
  const actual = PNG.sync.read(buffer);
  const sameSize = actual.width === expected.width && actual.height === expected.height;
  const differing = sameSize ? pixelmatch(expected.data, actual.data, null, actual.width, actual.height, { threshold: 0.1 }) : Infinity;
  if (differing <= actual.width * actual.height * 0.001) return;
  mkdirSync(results, { recursive: true });
  writeFileSync(`${results}${name}.png`, buffer);
  assert.fail(`${name}: ${sameSize ? `${differing} pixels differ` : 'size changed'} from docs/images/${name}.png (new picture in test-results/${name}.png)`);
}

/**
 * The README pictures show the element where it usually sits: on the right of an app's header
 * card, on a page backdrop. A constructed stylesheet, because the fixture page's CSP allows no
 * inline styles; it follows the page's color-scheme as the element's defaults do.
 */
function stageStyles() {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`
    html, body { background: light-dark(#e9ecf3, #0d0f14); }
    body { margin: 0; padding: 48px; font: 16px/1.5 system-ui, sans-serif; }
    main {
      box-sizing: border-box; width: 560px; min-height: 76px; padding: 16px 20px 16px 24px;
      display: flex; flex-wrap: wrap; align-items: flex-start; gap: 16px;
      background: light-dark(#ffffff, #1a1d24); border: 1px solid light-dark(#d9dde7, #2c313c);
      border-radius: 14px; box-shadow: 0 1px 2px rgb(0 0 0 / 0.06), 0 8px 24px light-dark(rgb(30 40 70 / 0.10), rgb(0 0 0 / 0.45));
    }
    /* One line as tall as the button, so the title stays level with it when an error adds a line. */
    h1 { margin: 0; font-size: 18px; line-height: 42px; font-weight: 650; letter-spacing: -0.01em; }
    closo-login { flex: 1; min-width: 0; }
    closo-login::part(base) { display: flex; justify-content: flex-end; }
    closo-login::part(error) { text-align: right; font-size: 15px; }
  `);
  const apply = () => { document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]; };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', apply);
  else apply();
}

/** The card and a margin of the backdrop around it. */
async function shot(page) {
  const card = await page.locator('main').boundingBox();
  const margin = 24;
  return page.screenshot({
    animations: 'disabled',
    caret: 'hide',
    clip: { x: card.x - margin, y: card.y - margin, width: card.width + 2 * margin, height: card.height + 2 * margin },
  });
}

for (const colorScheme of ['light', 'dark']) {
  describe(`look, ${colorScheme}`, () => {
    it('logged out, busy, logged in and error match the README pictures', async () => {
      const context = await env.newContext({ colorScheme, deviceScaleFactor: 2, viewport: { width: 640, height: 360 } });
      const page = await env.newPage(context);
      await page.addInitScript(stageStyles);
      await page.goto(`${env.origin}/fixtures/a11y.html`);
      const login = page.locator('closo-login');
      await login.getByRole('button', { name: 'Log in' }).waitFor();
      const loggedOut = await shot(page);

      env.provider.faults.token = { delayMs: 1500 };
      await login.getByRole('button', { name: 'Log in' }).click();
      await logInAtProvider(page);
      await login.getByRole('button', { name: 'Logging in…' }).waitFor();
      await page.mouse.move(0, 0);
      const busy = await shot(page);
      await waitForEvents(page, 'token');
      await login.getByRole('button', { name: 'Log out' }).waitFor();
      const loggedIn = await shot(page);

      // An error as users meet it: the provider answers the next login with access_denied.
      delete env.provider.faults.token;
      env.provider.faults.authorization = { error: 'access_denied', errorDescription: 'User did not authorize the request' };
      await login.evaluate((el) => el.logout({ localOnly: true }));
      await login.getByRole('button', { name: 'Log in' }).click();
      await login.locator('[part=error]').filter({ hasText: 'access_denied' }).waitFor();
      await page.mouse.move(0, 0);
      const error = await shot(page);

      const pictures = { 'logged-out': loggedOut, busy, 'logged-in': loggedIn, error };
      // The states look different from each other...
      assert.equal(new Set(Object.values(pictures).map((b) => b.toString('base64'))).size, 4);
      // ...and as documented.
      for (const [state, buffer] of Object.entries(pictures)) matches(`${state}-${colorScheme}`, buffer);
    });

    it('logged out with passkeys matches docs/passkeys.md\'s picture', async () => {
      const context = await env.newContext({ colorScheme, deviceScaleFactor: 2, viewport: { width: 640, height: 360 } });
      const page = await env.newPage(context);
      await page.addInitScript(stageStyles);
      await page.goto(`${env.origin}/fixtures/a11y-passkeys.html`);
      await page.locator('closo-login').getByRole('button', { name: 'Sign up with a passkey' }).waitFor();
      matches(`passkeys-${colorScheme}`, await shot(page));
    });
  });
}
