// npm run bench: closo-login against @auth0/auth0-spa-js 2.x and oidc-client-ts 3.x, doing the
// same job (redirect login with PKCE and audience, callback, refresh) in headless Chromium
// against the local provider. Libraries alternate run by run; medians with min–max.
//   RUNS=20 (default) · ELEMENT_RUNS=5 · writes bench/RESULTS.md and docs/benchmark.md's quote of it.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { rollup } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import { dropIn } from '../rollup.config.mjs';
import { DEMO_USER } from '../demo/servers/provider.mjs';
import { startStack } from '../demo/servers/stack.mjs';
import { launchChromium } from '../test/support/browser.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const site = here('./site/');
const runs = Number(process.env.RUNS ?? 20);
const elementRuns = Number(process.env.ELEMENT_RUNS ?? 5);
const version = (name) => JSON.parse(readFileSync(here(`../node_modules/${name}/package.json`), 'utf8')).version;

// --- bundles, all with esbuild --bundle --minify, and the pages that load them -------------
const LIBS = {
  'closo-login': { script: '/dist/closo-login.min.js', driver: 'closo.js', element: true },
  // The same page with the modulepreload line docs/getting-started.md gives: the session's file loads beside the first.
  'closo-login-modulepreload': { script: '/dist/closo-login.min.js', driver: 'closo.js', element: true, preload: true },
  // The same drop-in built as one file (issue 13's baseline): the callback page of the split build must be no slower.
  'closo-login-one-file': { script: '/bench/closo-login.one-file.min.js', driver: 'closo.js', element: true },
  // The refresh token kept in the page (no Worker), as before issue 12: the renewal time next to the worker's.
  'closo-login-in-page': { script: '/dist/closo-login.min.js', driver: 'closo.js', element: true, before: '/bench/no-worker.js' },
  // Without offline_access: no refresh token, so renewals and a second API's token go through a silent sign-in.
  'closo-login-silent': { script: '/dist/closo-login.min.js', driver: 'closo.js', element: true, attributes: 'scope="openid profile email" silent' },
  'auth0-spa-js': { driver: 'auth0.js' },
  'oidc-client-ts': { driver: 'oidc.js' },
  floor: { driver: 'floor.js' },
};
const bundle = async (entry, out) => build({
  entryPoints: [here(`./apps/${entry}`)], bundle: true, minify: true, format: 'esm', outfile: `${site}${out}`,
  alias: { 'closo-login': here('../dist/index.js') }, logLevel: 'error', define: { 'process.env.NODE_ENV': '"production"' },
});
await Promise.all([
  bundle('closo.js', 'closo.js'), bundle('closo-bundled.js', 'closo-bundled.js'), bundle('auth0.js', 'auth0.js'),
  bundle('oidc.js', 'oidc.js'), bundle('floor.js', 'floor.js'),
  build({ entryPoints: [here('./apps/many.js')], outfile: `${site}many.js`, format: 'esm', minify: true, logLevel: 'error' }),
]);
// The drop-in's own rollup build, with the session's file inlined into the first one.
// Its TypeScript step is made again with bench/site/ as outDir (the plugin wants it inside `dir`).
const oneFile = await rollup({
  ...dropIn,
  plugins: dropIn.plugins
    // One file: the vault worker is not emitted beside it, but found where the npm build puts it (copied below).
    .filter((plugin) => plugin.name !== 'closo-login:integrity' && plugin.name !== 'closo-login:token-worker')
    .map((plugin) => (plugin.name === 'typescript' ? typescript({ tsconfig: './tsconfig.json', outDir: site, declaration: false, declarationMap: false, inlineSources: true }) : plugin)),
});
await oneFile.write({ ...dropIn.output, dir: site, entryFileNames: 'closo-login.one-file.min.js', inlineDynamicImports: true });
// The vault worker beside the one-file build and the esbuild bundles, which start it from './token-worker.js'.
copyFileSync(here('../dist/core/token-worker.js'), `${site}token-worker.js`);
writeFileSync(`${site}no-worker.js`, '// The in-page variant: no Worker, so closo-login keeps its refresh token in the page.\nwindow.Worker = undefined;\n');
const sessionFile = readdirSync(here('../dist')).find((name) => /^closo-login-session-.+\.min\.js$/.test(name));
const page = (title, scripts, body = '', preload = false) => `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title>\n${preload ? `<link rel="modulepreload" href="/dist/${sessionFile}">\n` : ''}${scripts.map((s) => `<script type="module" src="${s}"></script>`).join('\n')}\n</head>\n<body data-issuer="{{issuer}}" data-client-id="{{clientId}}" data-audience="{{audience}}"${body}</body></html>\n`;
for (const [name, lib] of Object.entries(LIBS)) {
  const element = lib.element ? `><closo-login headless issuer="{{issuer}}" client-id="{{clientId}}" audience="{{audience}}" ${lib.attributes ?? ''}></closo-login>` : '>';
  writeFileSync(`${site}${name}.html`, page(name, [...(lib.before ? [lib.before] : []), ...(lib.script ? [lib.script] : []), `/bench/${lib.driver}`], element, lib.preload));
}
const COUNTS = [1, 10, 100, 1000];
for (const count of COUNTS) writeFileSync(`${site}many-${count}.html`, page(`${count} elements`, ['/bench/many.js'], ` data-count="${count}">`));

// The floor for any element built on this stack: lit plus exactly the oauth4webapi functions
// src/ imports, bundled the same way as the peers. Whatever closo-login adds is above it.
const imported = (from) => [...new Set(readdirSync(here('../src'), { recursive: true }).filter((f) => f.endsWith('.ts'))
  .flatMap((f) => [...readFileSync(here(`../src/${f}`), 'utf8').matchAll(new RegExp(`import \\{([^}]*)\\} from '${from}'`, 'g'))])
  .flatMap((m) => m[1].split(',').map((n) => n.trim()).filter((n) => n && !n.startsWith('type '))))];
writeFileSync(`${site}dependencies.js`, [
  `export { ${imported('lit').join(', ')} } from 'lit';`,
  `export { ${imported('lit/decorators.js').join(', ')} } from 'lit/decorators.js';`,
  `export { ${imported('oauth4webapi').join(', ')} } from 'oauth4webapi';`,
].join('\n'));
await build({ entryPoints: [`${site}dependencies.js`], bundle: true, minify: true, format: 'esm', outfile: `${site}dependencies.min.js`, logLevel: 'error', nodePaths: [here('../node_modules')] });

const sizeOf = (file) => { const code = readFileSync(file); return { min: code.length, gzip: gzipSync(code, { level: 9 }).length }; };
const sizesOf = (files) => files.map(sizeOf).reduce((a, b) => ({ min: a.min + b.min, gzip: a.gzip + b.gzip }));
const dropInFiles = readdirSync(here('../dist')).filter((name) => /^closo-login.*\.min\.js$/.test(name)).map((name) => here(`../dist/${name}`));
const sizes = {
  'closo-login: first load': { ...sizeOf(here('../dist/closo-login.min.js')), note: 'a page with a logged-out element: dist/closo-login.min.js (rollup + terser)' },
  'closo-login: callback page': { ...sizesOf(dropInFiles), note: `a page that logs someone in: all files (${dropInFiles.length}: entry, session, worker)` },
  'closo-login: one file': { ...sizeOf(`${site}closo-login.one-file.min.js`), note: 'the same build as one file (the baseline of the split)' },
  'closo-login (npm, esbuild)': { ...sizeOf(`${site}closo-bundled.js`), note: 'import \'closo-login\' + driver' },
  'auth0-spa-js': { ...sizeOf(`${site}auth0.js`), note: 'createAuth0Client + driver' },
  'oidc-client-ts': { ...sizeOf(`${site}oidc.js`), note: 'UserManager + driver' },
  'lit + oauth4webapi alone': { ...sizeOf(`${site}dependencies.min.js`), note: 'the floor: lit and the oauth4webapi functions src/ imports, nothing else' },
};

// --- the browser runs ------------------------------------------------------------------------
const stack = await startStack({ pages: { '/bench/': { dir: site, csp: false } } });
const browser = await launchChromium();
const { provider, demo } = stack;

async function newPage() {
  const context = await browser.newContext();
  const p = await context.newPage();
  await p.addInitScript(() => {
    window.__blocking = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (window.__tokenAt === undefined) window.__blocking += Math.max(0, entry.duration - 50);
    }).observe({ type: 'longtask', buffered: true });
  });
  return p;
}

async function signIn(p) {
  await p.waitForURL(/\/u\/login\//).catch((e) => { throw new Error(`no login form: ${p.url()}`, { cause: e }); });
  await p.getByLabel('Email').fill(DEMO_USER.email);
  await p.getByLabel('Password').fill(DEMO_USER.password);
  await p.getByRole('button', { name: 'Continue' }).click();
}

/** One login with `name`: callback time, requests and blocking time on the callback page, then refresh and cached-token times. */
async function loginRun(name) {
  const p = await newPage();
  await p.goto(`${demo.origin}/bench/${name}.html`);
  await p.waitForFunction(() => window.bench);
  await p.evaluate(() => { window.bench.login(); });
  // Everything from the navigation to the redirect URL (the request carrying the code) on,
  // workers included.
  let onCallback = false;
  const callbackRequests = [];
  p.on('request', (request) => {
    if (!onCallback && request.isNavigationRequest() && request.url().includes('code=')) onCallback = true;
    if (onCallback && !request.url().startsWith('data:')) callbackRequests.push(request.url());
  });
  await signIn(p);
  await p.waitForFunction(() => window.__tokenAt !== undefined, null, { timeout: 20_000 });
  const result = await p.evaluate(() => ({
    callback: window.__tokenAt - performance.getEntriesByType('navigation')[0].fetchStart,
    blocking: window.__blocking,
  }));
  result.requests = callbackRequests.length;
  result.providerRequests = callbackRequests.filter((url) => url.startsWith(provider.issuer)).length;
  if (name !== 'floor') {
    result.refresh = await p.evaluate(() => window.bench.refresh());
    result.cached = await p.evaluate(() => window.bench.cached());
    result.secondApi = await p.evaluate(() => window.bench.secondApi?.() ?? null);
  }
  await p.context().close();
  return result;
}

async function elementsRun(count) {
  const p = await newPage();
  const cold = provider.requests.length;
  await p.goto(`${demo.origin}/bench/many-${count}.html`);
  await p.waitForFunction(() => window.__renderedAt !== undefined, null, { timeout: 60_000 });
  const render = await p.evaluate(() => window.__renderedAt - performance.getEntriesByType('navigation')[0].fetchStart);
  const since = provider.requests.length;
  await p.evaluate(() => { window.bench.login(); });
  await signIn(p);
  await p.waitForFunction(() => window.__tokenAt !== undefined, null, { timeout: 60_000 });
  const callback = await p.evaluate(() => window.__tokenAt - performance.getEntriesByType('navigation')[0].fetchStart);
  const tokenRequests = provider.requests.slice(since).filter((r) => r.method === 'POST' && r.path === '/oauth/token').length;
  await p.context().close();
  return { render, callback, tokenRequests, coldProviderRequests: since - cold };
}

const results = Object.fromEntries(Object.keys(LIBS).map((name) => [name, []]));
try {
  for (const name of Object.keys(LIBS)) await loginRun(name); // warm-up, not counted
  for (let i = 0; i < runs; i++) {
    const order = Object.keys(LIBS);
    for (const name of i % 2 ? order.reverse() : order) results[name].push(await loginRun(name));
    process.stderr.write(`\rrun ${i + 1}/${runs}`);
  }
  process.stderr.write('\n');
  var elements = {};
  for (const count of COUNTS) {
    elements[count] = [];
    for (let i = 0; i < elementRuns; i++) elements[count].push(await elementsRun(count));
  }
} finally {
  await browser.close();
  await stack.close();
}

// --- report ----------------------------------------------------------------------------------
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const spread = (xs) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
const col = (name, key) => results[name].map((r) => r[key]);
const floor = median(col('floor', 'callback'));
const chromium = browser.version();
const lines = [];
lines.push(`Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; Chromium ${chromium} (headless); local oidc-provider ${version('oidc-provider')} on loopback.`);
lines.push(`Versions: closo-login ${JSON.parse(readFileSync(here('../package.json'), 'utf8')).version} (lit ${version('lit')}, oauth4webapi ${version('oauth4webapi')}), @auth0/auth0-spa-js ${version('@auth0/auth0-spa-js')}, oidc-client-ts ${version('oidc-client-ts')}.`);
lines.push(`Runs: ${runs} logins per library, alternating; ${elementRuns} per element count. Times in ms: median (min–max). Command: \`${process.env.RUNS ? `RUNS=${runs} ` : ''}npm run bench\` (${new Date().toISOString().slice(0, 10)}).`);
lines.push('');
lines.push('### What a page loads');
lines.push('');
lines.push('| Library | Minified bytes | gzip -9 bytes | What |');
lines.push('|---|---:|---:|---|');
for (const [name, s] of Object.entries(sizes)) lines.push(`| ${name} | ${s.min.toLocaleString('en')} | ${s.gzip.toLocaleString('en')} | ${s.note} |`);
lines.push('');
lines.push('### Login, refresh, cached token');
lines.push('');
lines.push('| Library | Redirect URL → token | × floor | Requests on callback page (to provider) | Main-thread blocking on callback | Renewal | Token while valid | Token for a second API |');
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const name of Object.keys(LIBS)) {
  const r = results[name];
  const second = col(name, 'secondApi').filter((x) => typeof x === 'number');
  const extra = name === 'floor' ? '— | — | —' : `${spread(col(name, 'refresh'))} | ${spread(col(name, 'cached'))} | ${second.length ? spread(second) : '—'}`;
  lines.push(`| ${name === 'floor' ? 'floor (bare fetch)' : name} | ${spread(col(name, 'callback'))} | ${(median(col(name, 'callback')) / floor).toFixed(2)} | ${median(col(name, 'requests'))} (${median(col(name, 'providerRequests'))}) | ${spread(col(name, 'blocking'))} | ${extra} |`);
}
lines.push('');
lines.push('### Many elements on one page (closo-login)');
lines.push('');
lines.push('| Elements | All rendered | Provider requests before login | Callback: all elements have the token | Code exchanges |');
lines.push('|---:|---:|---:|---:|---:|');
for (const count of COUNTS) {
  const r = elements[count];
  lines.push(`| ${count.toLocaleString('en')} | ${spread(r.map((x) => x.render))} | ${Math.max(...r.map((x) => x.coldProviderRequests))} | ${spread(r.map((x) => x.callback))} | ${[...new Set(r.map((x) => x.tokenRequests))].join(', ')} |`);
}
const table = lines.join('\n');
console.log(table);
writeFileSync(here('./RESULTS.md'), `# Benchmark results\n\n${table}\n`);
const benchPagePath = here('../docs/benchmark.md');
const benchPage = readFileSync(benchPagePath, 'utf8');
writeFileSync(benchPagePath, benchPage.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, `<!-- bench:start -->\n${table}\n<!-- bench:end -->`));
try {
  execFileSync('git', ['diff', '--stat', '--', 'bench/RESULTS.md', 'docs/benchmark.md'], { stdio: 'inherit' });
} catch {
  // not a git checkout
}
