// Size and request budgets (bench/budgets.json), checked on every test run. Timings are
// measured by `npm run bench`, not asserted here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const root = new URL('../../', import.meta.url);
const budgets = JSON.parse(readFileSync(new URL('bench/budgets.json', root), 'utf8'));
const env = useStack();

describe('budgets', () => {
  it('the drop-in file stays within its gzip budget', () => {
    const gzip = gzipSync(readFileSync(new URL('dist/closo-login.min.js', root)), { level: 9 }).length;
    assert.ok(gzip <= budgets.dropInGzipBytes,
      `dist/closo-login.min.js is ${gzip} bytes gzip -9, over the budget of ${budgets.dropInGzipBytes} in bench/budgets.json`);
  });

  it('the callback page makes exactly one request to the provider when discovery was cached at login', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/u\/login\//);
    const fromCallback = [];
    let onCallback = false;
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.url().includes('code=')) onCallback = true;
      if (onCallback && request.url().startsWith(env.issuer)) fromCallback.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    assert.equal(fromCallback.length, budgets.callbackProviderRequests,
      `the callback page made ${fromCallback.length} provider requests (${fromCallback.join(', ')}), budget ${budgets.callbackProviderRequests}`);
    assert.deepEqual(fromCallback, ['POST /oauth/token']);
  });
});
