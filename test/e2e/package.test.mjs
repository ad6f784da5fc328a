// The published package: `npm pack`, installed into a fresh project, imported on a
// server (SSR), type-checked, bundled and used in a real browser, and its drop-in file
// loaded from the installed node_modules.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const project = mkdtempSync(join(tmpdir(), 'closo-login-consumer-'));
const site = join(project, 'site');
mkdirSync(site);
// The page exists before the provider starts, so its URL is a registered redirect URI.
writeFileSync(join(site, 'app.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Consumer app</title>
<script type="module" src="/consumer/app.js"></script></head>
<body data-issuer="{{issuer}}" data-client-id="{{clientId}}" data-audience="{{audience}}"></body></html>
`);
// README: "register it under your own tag with ClosoLogin.define('my-login')".
writeFileSync(join(site, 'my-login.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Own tag</title>
<script type="module" src="/consumer/my-login.js"></script></head>
<body><my-login issuer="{{issuer}}" client-id="{{clientId}}" audience="{{audience}}"></my-login></body></html>
`);
// The drop-in file as a page loads it, straight from the installed package.
writeFileSync(join(site, 'drop-in.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drop-in</title>
<script type="module" src="/consumer-modules/closo-login/dist/closo-login.min.js"></script></head>
<body><closo-login issuer="{{issuer}}" client-id="{{clientId}}" audience="{{audience}}"></closo-login></body></html>
`);

const run = (cmd, args, cwd = project) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
let files = [];

before(async () => {
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', project], root));
  files = packed.files.map((f) => f.path);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(project, packed.filename)]);
});
after(() => rmSync(project, { recursive: true, force: true }));

// node_modules exists by then: the install above runs first (before hooks run in order).
const env = useStack({}, { '/consumer/': site, '/consumer-modules/': join(project, 'node_modules') });

describe('the npm package', () => {
  it('ships dist, types, source maps and the manifest, and nothing else', () => {
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/closo-login.js', 'dist/closo-login.d.ts', 'dist/define.js',
      'dist/closo-login.min.js', 'dist/closo-login.min.js.map', 'dist/index.js.map', 'custom-elements.json', 'package.json', 'README.md', 'LICENSE']) {
      assert.ok(files.includes(file), file);
    }
    assert.deepEqual(files.filter((f) => /^(src|test|demo|bench|node_modules)\//.test(f)), []);
    // The drop-in's other files (the session's code, the vault worker, the two passkey files) beside the first, and
    // the hashes that pin them; the npm build's own worker file, which token-worker-start.js starts from beside itself.
    const dropIn = files.filter((f) => /^dist\/closo-login.*\.min\.js$/.test(f)).sort();
    assert.equal(dropIn.length, 5, dropIn.join(', '));
    assert.ok(files.includes('dist/core/token-worker.js'));
    assert.ok(files.includes('dist/integrity.json'));
    const pinned = JSON.parse(readFileSync(join(project, 'node_modules/closo-login/dist/integrity.json'), 'utf8'));
    assert.deepEqual(Object.keys(pinned).map((name) => `dist/${name}`).sort(), dropIn);
  });

  it('has a manifest that points at published files and says which of them define <closo-login>', () => {
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/closo-login/custom-elements.json'), 'utf8'));
    for (const mod of manifest.modules) assert.ok(files.includes(mod.path), mod.path);
    const element = manifest.modules.find((m) => m.declarations.some((d) => d.tagName === 'closo-login'));
    assert.equal(element.path, 'dist/closo-login.js');
    const definedBy = manifest.modules.filter((m) => m.exports?.some((e) => e.kind === 'custom-element-definition'
      && e.name === 'closo-login' && e.declaration.name === 'ClosoLogin' && e.declaration.module === 'dist/closo-login.js'));
    assert.deepEqual(definedBy.map((m) => m.path).sort(), ['dist/define.js', 'dist/index.js']);
  });

  it('ships source maps that carry their sources, since src/ is not published', () => {
    const maps = files.filter((f) => f.endsWith('.map'));
    assert.ok(maps.includes('dist/closo-login.min.js.map') && maps.includes('dist/closo-login.js.map'));
    for (const file of maps) {
      const map = JSON.parse(readFileSync(join(project, 'node_modules/closo-login', file), 'utf8'));
      assert.equal(map.sourcesContent?.length, map.sources.length, file);
      map.sources.forEach((source, i) => assert.equal(typeof map.sourcesContent[i], 'string', `${file}: ${source} has no content`));
    }
  });

  it('imports on a server without a DOM (SSR) as the README says: the entries, not the drop-in file', () => {
    const out = run('node', ['--input-type=module', '-e', `
      const all = await import('closo-login');
      const cls = await import('closo-login/closo-login.js');
      const define = await import('closo-login/define.js');
      const dropIn = await import('closo-login/closo-login.min.js').then(() => 'loaded', (error) => error.message);
      console.log(JSON.stringify({ main: Object.keys(all).sort(), cls: Object.keys(cls), define: Object.keys(define), same: all.ClosoLogin === cls.ClosoLogin, dropIn }));`]);
    const result = JSON.parse(out);
    assert.ok(result.main.includes('ClosoLogin') && result.main.includes('AuthError'));
    assert.deepEqual(result.cls, ['ClosoLogin']);
    assert.deepEqual(result.define, []);
    assert.equal(result.same, true);
    assert.equal(result.dropIn, 'HTMLElement is not defined');
  });

  it('type-checks the events and the tag for a TypeScript consumer', () => {
    writeFileSync(join(project, 'check.ts'), `
      import { ClosoLogin, type TokenEventDetail, type AuthErrorCode } from 'closo-login';
      const login = document.querySelector('closo-login');
      login?.addEventListener('token', (event) => { const token: string = event.detail.accessToken; void token; });
      login?.addEventListener('auth-error', (event) => { const code: AuthErrorCode = event.detail.code; void code; });
      const el: ClosoLogin = document.createElement('closo-login');
      el.clientId = 'x';
      el.getAccessToken({ minValidity: 60 }).then((t: string) => t);
      const detail: TokenEventDetail | null = null; void detail;
      // @ts-expect-error the refresh token is not part of the event
      login?.addEventListener('token', (event) => event.detail.refreshToken);
    `);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'ES2022', moduleResolution: 'bundler', target: 'ES2022', lib: ['ES2023', 'DOM'], noEmit: true, skipLibCheck: true },
      files: ['check.ts'],
    }));
    run('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
  });

  it('type-checks <closo-login> in React JSX, Vue and Svelte through closo-login/react, /vue and /svelte', () => {
    // The consumer has its framework's types installed: the same copies this repository tests with.
    mkdirSync(join(project, 'node_modules/@types'), { recursive: true });
    for (const name of ['@types/react', 'vue', 'svelte']) symlinkSync(join(root, 'node_modules', name), join(project, 'node_modules', name), 'dir');
    writeFileSync(join(project, 'react-check.tsx'), `
      import type {} from 'closo-login/react';
      export const ok = <closo-login client-id="x" popupTimeout={30} mode="popup" ontoken={(event) => event.detail.accessToken} />;
      // @ts-expect-error not a mode
      export const bad = <closo-login mode="modal" />;
    `);
    writeFileSync(join(project, 'vue-check.ts'), `
      import type { GlobalComponents } from 'vue';
      import type {} from 'closo-login/vue';
      type Props = InstanceType<GlobalComponents['closo-login']>['$props'];
      export const ok: Props = { clientId: 'x', renewBefore: '45', busyLabel: 'Wait', onToken: (event) => event.detail.accessToken };
      // @ts-expect-error not a mode
      export const bad: Props = { mode: 'modal' };
    `);
    writeFileSync(join(project, 'svelte-check.ts'), `
      import type { SvelteHTMLElements } from 'svelte/elements';
      import type {} from 'closo-login/svelte';
      export const ok: SvelteHTMLElements['closo-login'] = { 'client-id': 'x', 'login-label': 'Go', dpop: 'required', ontoken: (event) => event.detail.accessToken };
      // @ts-expect-error not a mode
      export const bad: SvelteHTMLElements['closo-login'] = { mode: 'modal' };
    `);
    writeFileSync(join(project, 'tsconfig.frameworks.json'), JSON.stringify({
      compilerOptions: { strict: true, jsx: 'react-jsx', module: 'ES2022', moduleResolution: 'bundler', target: 'ES2022', lib: ['ES2023', 'DOM'], noEmit: true, skipLibCheck: true },
      files: ['react-check.tsx', 'vue-check.ts', 'svelte-check.ts'],
    }));
    run('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.frameworks.json']);
  });

  it('bundles with the consumer\'s bundler and logs in', async () => {
    writeFileSync(join(project, 'app.js'), `
      import 'closo-login';
      const login = document.createElement('closo-login');
      const { issuer, clientId, audience } = document.body.dataset;
      Object.assign(login, { issuer, clientId, audience });
      document.body.append(login);
    `);
    run(join(root, 'node_modules/.bin/esbuild'), ['app.js', '--bundle', '--format=esm', '--minify', `--outfile=${join(site, 'app.js')}`]);
    const page = await env.newPage();
    await page.goto(`${env.origin}/consumer/app.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.detail.audience, 'https://api.thecloso.com');
    assert.deepEqual(page.pageErrors, []);
  });

  it('registers the class under the page\'s own tag with ClosoLogin.define(\'my-login\'), and logs in', async () => {
    writeFileSync(join(project, 'my-login.js'), `
      import { ClosoLogin } from 'closo-login/closo-login.js';
      ClosoLogin.define('my-login');
    `);
    run(join(root, 'node_modules/.bin/esbuild'), ['my-login.js', '--bundle', '--format=esm', '--minify', `--outfile=${join(site, 'my-login.js')}`]);
    const page = await env.newPage();
    await page.goto(`${env.origin}/consumer/my-login.html`);
    await page.locator('my-login').getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.target, 'my-login');
    assert.deepEqual(await page.evaluate(() => [!!customElements.get('my-login'), !!customElements.get('closo-login')]), [true, false]);
    assert.deepEqual(page.pageErrors, []);
  });

  it('upgrades <closo-login> from the installed drop-in file, and logs in', async () => {
    const page = await env.newPage();
    const dropIn = page.waitForResponse((response) => response.url().endsWith('/consumer-modules/closo-login/dist/closo-login.min.js'));
    await page.goto(`${env.origin}/consumer/drop-in.html`);
    assert.equal((await dropIn).status(), 200);
    await page.locator('closo-login').getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.detail.audience, 'https://api.thecloso.com');
    assert.deepEqual(page.pageErrors, []);
  });
});
