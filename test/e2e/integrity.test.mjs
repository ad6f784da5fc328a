// The drop-in's files, pinned as docs/getting-started.md shows (the entry's `integrity`, and an
// import map with `integrity` for the files it imports, under the demo's strict CSP), and what a
// page sees when the session's file cannot load: a typed auth-error, and a button that works again.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { events, logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const dist = new URL('../../dist/', import.meta.url);
const integrity = JSON.parse(readFileSync(new URL('integrity.json', dist), 'utf8'));
const session = readdirSync(dist).find((name) => /^closo-login-session-.+\.min\.js$/.test(name));
const wrong = `sha384-${Buffer.alloc(48).toString('base64')}`;

/** A page that pins the files as the docs show: the entry, and with an import map the files it imports (`sessionHash` for the session's). */
const pinned = (sessionHash) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pinned</title>
<script type="importmap">
{ "integrity": { "/dist/${session}": "${sessionHash}" } }
</script>
<script type="module" src="/dist/closo-login.min.js" integrity="${integrity['closo-login.min.js']}"></script>
</head>
<body><closo-login issuer="{{issuer}}" client-id="{{clientId}}" audience="{{audience}}"></closo-login></body></html>
`;
const dir = mkdtempSync(join(tmpdir(), 'closo-integrity-'));
writeFileSync(join(dir, 'pinned.html'), pinned(integrity[session]));
writeFileSync(join(dir, 'tampered.html'), pinned(wrong));
after(() => rmSync(dir, { recursive: true, force: true }));

// The import maps are inline scripts: these pages allow them, and nothing else inline.
const env = useStack({}, { '/pinned/': { dir, scriptSrc: { 'pinned.html': "'unsafe-inline'", 'tampered.html': "'unsafe-inline'" } } });

describe('the drop-in\'s files, pinned and failing', () => {
  it('lists every file of the drop-in in dist/integrity.json with its sha384', () => {
    const files = readdirSync(dist).filter((name) => name.endsWith('.min.js')).sort();
    assert.deepEqual(Object.keys(integrity).sort(), files);
    // The entry, the session's code, the refresh token's vault worker (which an import map cannot pin:
    // the entry starts it, and checks it against its own copy of the worker's hash when it comes from a CDN),
    // and the two passkey files (the element's controls, the passkey login), which only pages with passkeys load.
    assert.deepEqual(files.map((name) => name.replace(/-[\w-]{8}\.min\.js$/, '')), [
      'closo-login-passkey-form', 'closo-login-passkey-login', 'closo-login-session', 'closo-login-token-worker', 'closo-login.min.js',
    ]);
  });

  it('logs in on a page that pins the entry, and the files it imports with an import map', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/pinned/pinned.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    assert.ok(token.detail.accessToken);
  });

  it('reports network_error when the browser refuses the second file (wrong integrity), and the button is not left busy', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/pinned/tampered.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'network_error');
    assert.equal(error.isCustomEvent && error.bubbles && error.composed, true);
    assert.equal(new URL(page.url()).pathname, '/pinned/tampered.html', 'no navigation to the provider');
    const button = page.locator('closo-login').getByRole('button', { name: 'Log in' });
    assert.equal(await button.getAttribute('aria-busy'), 'false');
    assert.match(await page.locator('closo-login').locator('[part=error]').textContent(), /could not be loaded/);
  });

  it('works again after the second file failed to load once (offline, a CDN error)', async () => {
    const page = await env.newPage();
    let refused = 0;
    await page.route(`**/dist/${session}`, (route) => (refused++ === 0 ? route.abort('internetdisconnected') : route.continue()));
    await page.goto(`${env.origin}/fixtures/memory.html`);
    const button = page.getByRole('button', { name: 'Log in' });
    await button.click();
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'network_error');
    assert.equal(await button.getAttribute('aria-busy'), 'false');
    assert.equal((await events(page)).length, 1, 'one auth-error, nothing else');
    // The next click loads the file (asked for a second time) and goes to the provider.
    await button.click();
    await page.waitForURL(/\/u\/login\//);
    assert.equal(refused, 2);
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
  });

  it('shows the busy state at once while the second file loads after a click', async () => {
    const page = await env.newPage();
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route(`**/dist/${session}`, async (route) => { await held; await route.continue(); });
    await page.goto(`${env.origin}/fixtures/memory.html`);
    const login = page.locator('closo-login');
    await login.getByRole('button', { name: 'Log in' }).click();
    const busy = login.getByRole('button', { name: 'Logging in…' });
    await busy.waitFor();
    assert.equal(await busy.getAttribute('aria-busy'), 'true');
    assert.equal(await login.locator('[role=status]').textContent(), 'Logging in…');
    release();
    await page.waitForURL(/\/u\/login\//);
  });
});
