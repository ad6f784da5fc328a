// Configuration errors and the drop-in script on plain pages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { events, logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const env = useStack();

describe('configuration errors', () => {
  it('give one auth-error per element with a documented code, a visible message and no network request', async () => {
    const page = await env.newPage();
    const since = env.mark();
    const requests = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${env.origin}/fixtures/config-errors.html`);
    const errors = await waitForEvents(page, 'auth-error', 4);
    assert.deepEqual(errors.map((e) => [e.target, e.detail.code]).sort(), [
      ['no-client', 'config_invalid'],
      ['no-issuer', 'config_invalid'],
      ['plain-http', 'config_invalid'],
      ['reserved', 'config_invalid'],
    ]);
    const message = (id) => errors.find((e) => e.target === id).detail.message;
    assert.match(message('no-client'), /client-id is required/);
    assert.match(message('plain-http'), /https/);
    assert.match(message('reserved'), /"state"/);
    assert.match(message('no-issuer'), /domain or issuer/);
    for (const id of ['no-client', 'plain-http', 'reserved', 'no-issuer']) {
      await page.locator(`#${id} [part=error]`).waitFor();
      assert.equal(await page.locator(`#${id}`).getByRole('button', { name: 'Log in' }).isDisabled(), true);
    }
    // Clicking does nothing either.
    await page.locator('#no-client').getByRole('button').click({ force: true });
    await env.expectQuiet(page, { ms: 100, events: [], browserRequests: (request) => !request.url().startsWith(env.origin) });
    assert.deepEqual(env.requests(since), []);
    assert.deepEqual(requests.filter((url) => !url.startsWith(env.origin)), []);
  });
});

describe('the drop-in script', () => {
  it('works when a page includes it twice', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/twice.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    assert.deepEqual(page.pageErrors.map(String), []);
  });

  it('works for an element created after page load, on the login page and on the callback page', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/late.html`);
    await page.locator('#late').getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.target, 'late');
    assert.equal(token.detail.audience, null);
    assert.equal(page.url(), `${env.origin}/fixtures/late.html`);
    assert.equal((await events(page)).length, 1);
  });

  it('keeps working when moved in the DOM, without repeating events', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/late.html`);
    await page.locator('#late').getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    await page.evaluate(() => {
      const box = document.createElement('section');
      document.body.prepend(box);
      box.append(document.getElementById('late'));
    });
    await page.locator('section #late').getByText('Dana Demo').waitFor();
    assert.equal(await page.locator('#late').evaluate((el) => el.authenticated), true);
    await page.locator('#late').evaluate((el) => el.logout({ localOnly: true }));
    await waitForEvents(page, 'logout');
    const all = await events(page);
    assert.deepEqual(all.map((e) => e.type), ['token', 'logout']);
  });
});
