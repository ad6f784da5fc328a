// <closo-login> inside Vue 3, React 19, Svelte 5 and Angular apps (test/frameworks/, built by
// `npm run build:frameworks`): configuration in through attributes and properties, events out
// to the framework's own state, and the app calling login(), getAccessToken() and logout().
// Angular twice: compiled ahead of time by @angular/build's application builder (angular-aot,
// under the demo's policy as it is) and just in time in the page (angular, which needs 'unsafe-eval').
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEMO_USER, logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const site = fileURLToPath(new URL('../frameworks/site', import.meta.url));
const env = useStack({}, { '/frameworks/': { dir: site, scriptSrc: { 'angular.html': "'unsafe-eval'" } } });

for (const framework of ['vue', 'react', 'svelte', 'angular-aot', 'angular']) {
  describe(framework, () => {
    it('passes configuration in, receives token, auth-error and logout, and calls the element\'s methods', async () => {
      const page = await env.newPage();
      const consoleErrors = [];
      page.on('console', (message) => { if (message.type() === 'error' || message.text().startsWith('closo-login:')) consoleErrors.push(message.text()); });
      const response = await page.goto(`${env.origin}/frameworks/${framework}.html`);
      const login = page.locator('closo-login');
      await login.getByRole('button', { name: 'Log in' }).waitFor();
      // The ahead-of-time app runs under the policy every other page has: no eval.
      if (framework === 'angular-aot') assert.doesNotMatch(response.headers()['content-security-policy'], /unsafe-eval/);
      // The Angular app's template (one component, both compilers) reads the element's state through its template reference (#login).
      const user = framework.startsWith('angular') ? (text) => page.locator('#user', { hasText: text }).waitFor() : async () => {};
      await user('Signed out');

      // Configuration: the issuer and client ID as properties (no attribute appears), renew-before as a dash-case attribute.
      const config = await login.evaluate((el) => ({
        issuer: el.issuer, clientId: el.clientId, audience: el.audience, renewBefore: el.renewBefore, renewAttribute: el.getAttribute('renew-before'),
        propertyAttributes: [el.getAttribute('issuer'), el.getAttribute('client-id')],
      }));
      assert.deepEqual(config, {
        issuer: env.issuer, clientId: env.clientId, audience: 'https://api.thecloso.com', renewBefore: 45, renewAttribute: '45', propertyAttributes: [null, null],
      });

      // auth-error reaches the framework's state.
      await page.locator('#app-bad').click();
      await page.locator('#status', { hasText: 'error config_invalid' }).waitFor();

      // login() from the app, the callback on the same page, token into the framework's state.
      await page.locator('#app-login').click();
      await logInAtProvider(page);
      await page.locator('#status', { hasText: `token for ${DEMO_USER.sub}` }).waitFor();
      await user(`Signed in as ${DEMO_USER.name}`);
      const [token] = await waitForEvents(page, 'token');
      assert.equal(token.detail.audience, 'https://api.thecloso.com');
      // The bundle found the refresh token's worker (Vite emitted it; esbuild's builds copy it; angular.json's assets do).
      assert.equal(await login.evaluate((el) => el.tokenIsolation), 'worker');

      // getAccessToken() from the app.
      await page.locator('#app-token').click();
      await page.locator('#token-info', { hasText: /access token of \d+ characters/ }).waitFor();

      // logout() from the app.
      await page.locator('#app-logout').click();
      await page.locator('#status', { hasText: 'logout user' }).waitFor();
      await user('Signed out');
      await login.getByRole('button', { name: 'Log in' }).waitFor();
      assert.deepEqual(page.pageErrors, []);
      assert.deepEqual(consoleErrors.filter((text) => !/favicon/.test(text)), []);
    });
  });
}
