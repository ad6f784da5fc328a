// The published package: `npm pack`, installed into a fresh project, imported on a
// server (SSR), type-checked, bundled and used in a real browser.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const run = (cmd, args, cwd = project) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
let files = [];

before(async () => {
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', project], root));
  files = packed.files.map((f) => f.path);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(project, packed.filename)]);
});
after(() => rmSync(project, { recursive: true, force: true }));

const env = useStack({}, { '/consumer/': site });

describe('the npm package', () => {
  it('ships dist, types, source maps and the manifest, and nothing else', () => {
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/closo-login.js', 'dist/closo-login.d.ts', 'dist/define.js',
      'dist/closo-login.min.js', 'dist/closo-login.min.js.map', 'dist/index.js.map', 'custom-elements.json', 'package.json', 'README.md', 'LICENSE']) {
      assert.ok(files.includes(file), file);
    }
    assert.deepEqual(files.filter((f) => /^(src|test|demo|bench|node_modules)\//.test(f)), []);
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

  it('imports on a server without a DOM (SSR), and the class entry defines nothing', () => {
    const out = run('node', ['--input-type=module', '-e', `
      const all = await import('closo-login');
      const cls = await import('closo-login/closo-login.js');
      console.log(JSON.stringify({ main: Object.keys(all).sort(), cls: Object.keys(cls), same: all.ClosoLogin === cls.ClosoLogin }));`]);
    const result = JSON.parse(out);
    assert.ok(result.main.includes('ClosoLogin') && result.main.includes('AuthError'));
    assert.deepEqual(result.cls, ['ClosoLogin']);
    assert.equal(result.same, true);
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
    await page.context().close();
  });
});
