// Builds the framework fixtures (Vue 3, React 19, Svelte 5, Angular) into site/*.js with
// each framework's usual compiler, importing closo-login as an app would.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { build as vite } from 'vite';
import vue from '@vitejs/plugin-vue';
import { svelte } from '@sveltejs/vite-plugin-svelte';

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

// One page per framework, served by the demo server (which fills in the {{placeholders}}).
mkdirSync(outdir, { recursive: true });
for (const framework of ['vue', 'react', 'svelte', 'angular']) {
  writeFileSync(`${outdir}/${framework}.html`, `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>closo-login in ${framework}</title>
  <script type="module" src="/frameworks/${framework}.js"></script>
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
]);
// esbuild leaves new URL('./token-worker.js', import.meta.url) alone: the refresh token's worker
// goes beside the bundles, as docs/getting-started.md tells esbuild users (Vite emits it itself).
copyFileSync(here('../../dist/core/token-worker.js'), `${outdir}/token-worker.js`);
console.log('framework fixtures built in test/frameworks/site/');
