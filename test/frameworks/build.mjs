// Builds the framework fixtures (Vue 3, React 19, Svelte 5, Angular ahead of time and just in
// time) into site/ with each framework's usual compiler, importing closo-login as an app would.
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Architect } from '@angular-devkit/architect';
import { json, logging, workspaces } from '@angular-devkit/core';
import { build as esbuild } from 'esbuild';
import { build as vite } from 'vite';
import vue from '@vitejs/plugin-vue';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// CommonJS entry points without an exports map: import() cannot name their folders.
const require = createRequire(import.meta.url);
const { WorkspaceNodeModulesArchitectHost } = require('@angular-devkit/architect/node');
const { NodeJsSyncHost } = require('@angular-devkit/core/node');
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const closoLogin = here('../../dist/index.js');
const outdir = here('./site');

async function viteApp(name, entry, plugins) {
  await vite({
    configFile: false,
    logLevel: 'warn',
    root: here(`./${name}`),
    // The apps are served under /frameworks/, not at the site's root: asset URLs (the session's
    // chunk, the refresh token's worker) relative to the bundle.
    base: './',
    plugins,
    resolve: { alias: { 'closo-login': closoLogin } },
    build: {
      outDir: outdir,
      emptyOutDir: false,
      minify: true,
      rollupOptions: { input: here(`./${name}/${entry}`), output: { entryFileNames: `${name}.js`, format: 'es' } },
    },
  });
}

/**
 * Runs the build target of the Angular workspace in `dir` (its angular.json) as `ng build` does,
 * without the Angular CLI: Architect loads the builder the target names (@angular/build's
 * application builder, which compiles ahead of time), fills in its schema's defaults, and runs it.
 */
async function angularBuild(dir) {
  // The app imports closo-login, and angular.json copies its worker, from node_modules, as an app
  // that installed the package does: here node_modules/closo-login is this repository.
  const installed = `${dir}/node_modules/closo-login`;
  if (!existsSync(installed)) {
    mkdirSync(`${dir}/node_modules`, { recursive: true });
    symlinkSync('../../../..', installed, 'dir');
  }
  const { workspace } = await workspaces.readWorkspace(dir, workspaces.createWorkspaceHost(new NodeJsSyncHost()));
  const registry = new json.schema.CoreSchemaRegistry();
  registry.addPostTransform(json.schema.transforms.addUndefinedDefaults);
  const architect = new Architect(new WorkspaceNodeModulesArchitectHost(workspace, dir), registry);
  const logger = new logging.Logger('angular');
  const messages = [];
  logger.subscribe(({ level, message }) => { if (level !== 'debug' && level !== 'info') messages.push(message); });
  const run = await architect.scheduleTarget({ project: 'app', target: 'build' }, { progress: false }, { logger });
  const { success } = await run.result;
  await run.stop();
  if (messages.length) console.warn(messages.join('\n'));
  if (!success) throw new Error(`the Angular build of ${dir} failed`);
}

// One page per framework, served by the demo server (which fills in the {{placeholders}}).
mkdirSync(outdir, { recursive: true });
const scripts = { vue: 'vue.js', react: 'react.js', svelte: 'svelte.js', angular: 'angular.js', 'angular-aot': 'angular-aot/main.js' };
for (const [framework, script] of Object.entries(scripts)) {
  writeFileSync(`${outdir}/${framework}.html`, `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>closo-login in ${framework}</title>
  <script type="module" src="/frameworks/${script}"></script>
</head>
<body data-issuer="{{issuer}}" data-client-id="{{clientId}}" data-audience="{{audience}}">
  <div id="app"></div>
  <app-root></app-root>
</body>
</html>
`);
}

await Promise.all([
  viteApp('vue', 'main.js', [vue({ template: { compilerOptions: { isCustomElement: (tag) => tag === 'closo-login' } } })]),
  viteApp('svelte', 'main.js', [svelte()]),
  esbuild({
    entryPoints: [here('./react/main.jsx')],
    bundle: true, format: 'esm', minify: true, jsx: 'automatic', outfile: `${outdir}/react.js`,
    alias: { 'closo-login': closoLogin }, define: { 'process.env.NODE_ENV': '"production"' }, logLevel: 'warning',
  }),
  esbuild({
    entryPoints: [here('./angular/main.ts')],
    bundle: true, format: 'esm', minify: true, outfile: `${outdir}/angular.js`,
    alias: { 'closo-login': closoLogin }, logLevel: 'warning',
    tsconfigRaw: { compilerOptions: { experimentalDecorators: true, useDefineForClassFields: false } },
  }),
  // Its output folder, site/angular-aot/, holds main.js, its chunks and the worker (angular.json's assets).
  angularBuild(here('./angular-aot')),
]);
// esbuild leaves new URL('./token-worker.js', import.meta.url) alone: the refresh token's worker
// goes beside the bundles, as docs/getting-started.md tells esbuild users (Vite emits it itself).
copyFileSync(here('../../dist/core/token-worker.js'), `${outdir}/token-worker.js`);
console.log('framework fixtures built in test/frameworks/site/');
