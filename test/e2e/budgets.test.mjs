// Size and request budgets (bench/budgets.json), checked on every test run. Sizes are what the
// browser fetched, read from the network log: a file loaded too early counts where it was loaded.
// Timings are measured by `npm run bench`, not asserted here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const root = new URL('../../', import.meta.url);
const budgets = JSON.parse(readFileSync(new URL('bench/budgets.json', root), 'utf8'));
const env = useStack();
const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;

/** Records every script the page fetches, as it is answered: its path, and (once read) its gzip -9 size. */
function scriptLog(page, when = () => true) {
  const scripts = [];
  page.on('response', (response) => {
    // Worker scripts (the refresh token's vault) count too, whatever type the browser gives them.
    const isScript = response.request().resourceType() === 'script' || new URL(response.url()).pathname.endsWith('.js');
    if (!isScript || !when()) return;
    const script = { path: new URL(response.url()).pathname, gzip: 0 };
    // A body is gone once its page navigates (the login's redirect): kept as a failure, which
    // only sized() reports, for the scripts whose sizes a test counts.
    script.read = response.body().then((body) => { script.gzip = gzip(body); }, (error) => { script.unread = error; });
    scripts.push(script);
  });
  return scripts;
}
/** The scripts, once all their bodies are read; throws when one could not be. */
const sized = async (scripts) => {
  await Promise.all(scripts.map((s) => s.read));
  const unread = scripts.find((s) => s.unread);
  if (unread) throw new Error(`the body of ${unread.path} could not be read: ${unread.unread.message}`);
  return scripts;
};
const total = (scripts) => scripts.reduce((sum, s) => sum + s.gzip, 0);
const describeScripts = (scripts) => scripts.map((s) => `${s.path} ${s.gzip} B`).join(', ');

describe('budgets', () => {
  it('a page with a logged-out <closo-login> loads only the first file, within its budget, and the button works', async () => {
    const page = await env.newPage();
    const scripts = scriptLog(page);
    await page.goto(`${env.origin}/fixtures/memory.html`);
    const button = page.getByRole('button', { name: 'Log in' });
    await button.waitFor();
    // Anything loaded eagerly would be requested by now.
    await page.waitForLoadState('networkidle');
    await sized(scripts);
    assert.deepEqual(scripts.map((s) => s.path), ['/dist/closo-login.min.js'], describeScripts(scripts));
    assert.ok(total(scripts) <= budgets.firstLoadGzipBytes,
      `the first load is ${total(scripts)} B gzip -9 (${describeScripts(scripts)}), over the budget of ${budgets.firstLoadGzipBytes} in bench/budgets.json`);
    // The session's file loads on the click, and the login goes on: a redirect needs no worker.
    await button.click();
    await page.waitForURL(/\/u\/login\//);
    assert.deepEqual(scripts.map((s) => s.path.replace(/-[\w-]{8}\.min\.js$/, '')), ['/dist/closo-login.min.js', '/dist/closo-login-session'], describeScripts(scripts));
  });

  it('the callback page loads at most its budget of scripts (entry, session, worker), within its budget of bytes, and makes one request to the provider', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/memory.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/u\/login\//);
    const fromCallback = [];
    let onCallback = false;
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.url().includes('code=')) onCallback = true;
      if (onCallback && request.url().startsWith(env.issuer)) fromCallback.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });
    const scripts = scriptLog(page, () => onCallback);
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    await sized(scripts);
    assert.equal(fromCallback.length, budgets.callbackProviderRequests,
      `the callback page made ${fromCallback.length} provider requests (${fromCallback.join(', ')}), budget ${budgets.callbackProviderRequests}`);
    assert.deepEqual(fromCallback, ['POST /oauth/token']);
    assert.ok(scripts.length <= budgets.callbackScripts, `the callback page loaded ${describeScripts(scripts)}`);
    assert.ok(total(scripts) <= budgets.callbackPageGzipBytes,
      `the callback page's scripts are ${total(scripts)} B gzip -9 (${describeScripts(scripts)}), over the budget of ${budgets.callbackPageGzipBytes}`);
  });

  it('all files of the drop-in together stay within their budget', () => {
    const files = readdirSync(new URL('dist/', root)).filter((name) => /^closo-login.*\.min\.js$/.test(name));
    assert.ok(files.length >= 2, files.join(', '));
    const sizes = files.map((name) => ({ path: name, gzip: gzip(readFileSync(new URL(`dist/${name}`, root))) }));
    assert.ok(total(sizes) <= budgets.allFilesGzipBytes,
      `the drop-in's files are ${total(sizes)} B gzip -9 (${describeScripts(sizes)}), over the budget of ${budgets.allFilesGzipBytes}`);
  });
});
