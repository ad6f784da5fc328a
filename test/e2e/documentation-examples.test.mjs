// The HTML examples and the theming CSS of the README and docs/, run as written: only the CDN URL, the Auth0
// domain, the client ID and the CMS's callback URL are swapped for the local ones. The test
// server's policy allows inline scripts on these pages but no inline styles, so a <style>
// block is served as a stylesheet of its own.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEMO_USER, isAuthorizeRequest, logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const CDN_DIR = 'https://cdn.jsdelivr.net/npm/closo-login@0.1.0/dist/';
const CDN_URL = `${CDN_DIR}closo-login.min.js`;
/** The files of this build and their hashes, for the placeholders of examples that pin them. */
const dist = new URL('../../dist/', import.meta.url);
const integrity = JSON.parse(readFileSync(new URL('integrity.json', dist), 'utf8'));
const sessionFile = Object.keys(integrity).find((name) => name.startsWith('closo-login-session-'));
const CMS_CALLBACK = 'https://blog.example/login-callback';

const root = new URL('../../', import.meta.url);
const docs = ['README.md', ...readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]
  .map((path) => readFileSync(new URL(path, root), 'utf8')).join('\n');
// `<!-- runnable example: name -->` then an html block, both possibly indented (inside a list item).
const found = [...docs.matchAll(/^( *)<!-- runnable example: ([\w-]+) -->\n\1```html\n([\s\S]*?)\n\1```/gm)]
  .map(([, indent, name, code]) => [name, code.split('\n').map((line) => line.replace(new RegExp(`^ {0,${indent.length}}`), '')).join('\n')]);
const examples = Object.fromEntries(found);
const themingCss = /^<!-- runnable css: theming -->\n```css\n([\s\S]*?)\n```/m.exec(docs)?.[1];

const dir = mkdtempSync(join(tmpdir(), 'closo-readme-'));
for (const [name, code] of Object.entries(examples)) {
  let local = code
    // A file pinned with its hash from integrity.json: the placeholders become this build's name and hash.
    .replaceAll(`${CDN_DIR}closo-login-session-<hash>.min.js`, `${CDN_DIR}${sessionFile}`)
    .replace(/((?:href|src)="[^"]*\/dist\/([^"]+)"[^>]*?integrity=")sha384-…from integrity\.json…"/g, (_, tag, file) => `${tag}${integrity[file]}"`)
    .replaceAll(CDN_DIR, '/dist/')
    .replaceAll(CMS_CALLBACK, '{{origin}}/readme/cms-callback.html')
    .replace(/domain="example\.\w+\.auth0\.com"/g, 'issuer="{{issuer}}"')
    .replaceAll('client-id="yourClientId"', 'client-id="{{clientId}}"');
  const styles = [...local.matchAll(/<style>\n([\s\S]*?)<\/style>\n?/g)];
  if (styles.length) {
    writeFileSync(join(dir, `${name}.css`), styles.map((m) => m[1]).join('\n'));
    local = `<link rel="stylesheet" href="/readme/${name}.css">\n${local.replace(/<style>\n[\s\S]*?<\/style>\n?/g, '')}`;
  }
  writeFileSync(join(dir, `${name}.html`), `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>README example</title></head>\n<body>\n${local}\n</body></html>\n`);
}
if (themingCss) {
  writeFileSync(join(dir, 'theming.css'), themingCss);
  writeFileSync(join(dir, 'theming.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>README theming</title>
<link rel="stylesheet" href="/readme/theming.css">
<script type="module" src="/dist/closo-login.min.js"></script></head>
<body><closo-login issuer="{{issuer}}" client-id="{{clientId}}"></closo-login></body></html>
`);
}
after(() => rmSync(dir, { recursive: true, force: true }));

// These examples use inline module scripts, as plain pages do: their pages allow them.
const scriptSrc = Object.fromEntries(Object.keys(examples).map((name) => [`${name}.html`, "'unsafe-inline'"]));
const env = useStack({}, { '/readme/': { dir, scriptSrc } });
const url = (name) => `${env.origin}/readme/${name}.html`;


describe('documentation examples', () => {
  it('are all here', () => {
    assert.equal(found.length, Object.keys(examples).length, 'each example has its own name');
    // passkeys and passkeys-slotted run in passkeys.test.mjs, on localhost with a virtual authenticator.
    assert.deepEqual(Object.keys(examples).sort(), ['cms-article', 'cms-callback', 'error-messages', 'labels', 'modulepreload', 'page', 'passkeys', 'passkeys-slotted', 'quick']);
    assert.ok(themingCss, 'the theming CSS');
    for (const code of Object.values(examples)) assert.ok(code.includes(CDN_URL), 'every example loads the drop-in file from the CDN');
  });

  it('the README\'s page: logs in and calls the API with the token of the event', async () => {
    const page = await env.newPage();
    const api = page.waitForRequest((request) => request.url().endsWith('/api/claims'));
    await page.goto(url('quick'));
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    const request = await api;
    assert.equal(request.headers().authorization, `Bearer ${token.detail.accessToken}`);
    assert.equal((await request.response()).status(), 200);
  });

  it('plain HTML: logs in, greets the user and calls the API with the token', async () => {
    const page = await env.newPage();
    const api = page.waitForResponse((response) => response.url().endsWith('/api/claims'));
    await page.goto(url('page'));
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    await page.waitForFunction((name) => document.title === `Hello ${name}`, DEMO_USER.name);
    assert.equal((await api).status(), 200);
  });

  it('CMS: the article logs in through a popup on the one callback page, and stays', async () => {
    const page = await env.newPage();
    await page.goto(url('cms-article'));
    assert.equal(await page.locator('closo-login').evaluate((el) => el.shadowRoot.childElementCount), 0);
    const since = env.mark();
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Sign in to comment' }).click()]);
    await logInAtProvider(popup);
    await page.getByRole('button', { name: `Commenting as ${DEMO_USER.name}` }).waitFor();
    if (!popup.isClosed()) await popup.waitForEvent('close');
    assert.equal(page.url(), url('cms-article'));
    assert.equal(env.requests(since, isAuthorizeRequest)[0].params.redirect_uri, url('cms-callback'));
  });

  it('a faster callback page: the session\'s file, pinned and preloaded, is fetched once, beside the first file', async () => {
    assert.doesNotMatch(readFileSync(join(dir, 'modulepreload.html'), 'utf8'), /<hash>|…/, 'every placeholder was filled in');
    const page = await env.newPage();
    await page.goto(url('modulepreload'));
    await page.getByRole('button', { name: 'Log in' }).click();
    const sessionRequests = [];
    page.on('request', (request) => { if (request.url().endsWith(`/dist/${sessionFile}`)) sessionRequests.push(request.url()); });
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    assert.ok(token.detail.accessToken);
    assert.equal(sessionRequests.length, 1, 'the preloaded file is the one the element imports');
    // Asked for before the first file had even arrived, let alone run.
    const timing = await page.evaluate((name) => {
      const entry = (suffix) => performance.getEntriesByType('resource').find((e) => e.name.endsWith(suffix));
      return { session: entry(name).startTime, entry: entry('/dist/closo-login.min.js').responseEnd };
    }, `/dist/${sessionFile}`);
    assert.ok(timing.session < timing.entry, JSON.stringify(timing));
  });

  it('in another language: translated labels and ui_locales', async () => {
    const page = await env.newPage();
    const since = env.mark();
    await page.goto(url('labels'));
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    await page.getByRole('button', { name: 'Abmelden' }).waitFor();
    assert.equal(env.requests(since, isAuthorizeRequest)[0].params.ui_locales, 'de');
  });

  it('in another language: the page\'s own message for the error code, and the English one hidden', async () => {
    env.provider.faults.authorization = { error: 'access_denied', errorDescription: 'User did not authorize the request' };
    const page = await env.newPage();
    await page.goto(url('error-messages'));
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await logInAtProvider(page);
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'access_denied');
    await page.getByRole('alert').filter({ hasText: 'Sie haben die Anmeldung abgelehnt.' }).waitFor();
    const englishPart = page.locator('closo-login').locator('[part=error]');
    assert.match(await englishPart.textContent(), /User did not authorize the request/);
    assert.equal(await englishPart.isVisible(), false);
  });
});

describe('theming CSS', () => {
  it('restyles the button, the user\'s name and the error through custom properties and parts', async () => {
    const page = await env.newPage();
    await page.goto(url('theming'));
    const login = page.locator('closo-login');
    const style = (part, ...names) => login.locator(`[part~=${part}]`).evaluate((el, props) => props.map((p) => getComputedStyle(el)[p]), names);
    await login.getByRole('button', { name: 'Log in' }).waitFor();
    assert.deepEqual(await style('login-button', 'backgroundColor', 'borderTopLeftRadius', 'fontSize'), ['rgb(11, 110, 79)', '999px', '15px']);
    await login.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    await login.getByRole('button', { name: 'Log out' }).waitFor();
    assert.deepEqual(await style('user', 'fontWeight', 'fontSize'), ['600', '15px']);
    await login.evaluate((el) => { el.logout({ localOnly: true }); el.clientId = ''; });
    await login.locator('[part=error]').waitFor();
    assert.deepEqual(await style('error', 'fontSize'), [`${0.875 * 15}px`]);
  });
});
