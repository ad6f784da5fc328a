// The README's HTML examples, run as written: only the CDN URL, the Auth0 domain and the
// client ID are swapped for the local provider's.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEMO_USER, isAuthorizeRequest, logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/<!-- runnable example -->\n```html\n([\s\S]*?)\n```/g)].map((m) => m[1]);
const dir = mkdtempSync(join(tmpdir(), 'closo-readme-'));
const pages = examples.map((code, i) => {
  const local = code
    .replaceAll('https://your.cdn/closo-login.min.js', '/dist/closo-login.min.js')
    .replace(/domain="example\.\w+\.auth0\.com"/g, 'issuer="{{issuer}}"')
    .replaceAll('client-id="yourClientId"', 'client-id="{{clientId}}"');
  const name = `example-${i}.html`;
  writeFileSync(join(dir, name), `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>README example</title></head>\n<body>\n${local}\n</body></html>\n`);
  return name;
});
after(() => rmSync(dir, { recursive: true, force: true }));

// These examples use inline module scripts, as plain pages do: their pages allow them.
const env = useStack({}, { '/readme/': { dir, scriptSrc: Object.fromEntries(pages.map((name) => [name, "'unsafe-inline'"])) } });

describe('README examples', () => {
  it('are all here', () => assert.equal(examples.length, 3));

  it('plain HTML: logs in, greets the user and calls the API with the token', async () => {
    const page = await env.newPage();
    const api = page.waitForResponse((response) => response.url().endsWith('/api/claims'));
    await page.goto(`${env.origin}/readme/${pages[0]}`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    await page.waitForFunction((name) => document.title === `Hello ${name}`, DEMO_USER.name);
    assert.equal((await api).status(), 200);
    await page.context().close();
  });

  it('CMS widget: a headless element driven by the page\'s own button', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/readme/${pages[1]}`);
    assert.equal(await page.locator('closo-login').evaluate((el) => el.shadowRoot.childElementCount), 0);
    await page.getByRole('button', { name: 'Sign in to comment' }).click();
    await logInAtProvider(page);
    await page.getByRole('button', { name: `Commenting as ${DEMO_USER.name}` }).waitFor();
    await page.context().close();
  });

  it('in another language: translated labels and ui_locales', async () => {
    const page = await env.newPage();
    const since = env.mark();
    await page.goto(`${env.origin}/readme/${pages[2]}`);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    await page.getByRole('button', { name: 'Abmelden' }).waitFor();
    assert.equal(env.requests(since, isAuthorizeRequest)[0].params.ui_locales, 'de');
    await page.context().close();
  });
});
