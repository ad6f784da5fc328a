// Two builds:
// - dist/*.js: ES modules for bundlers, one per source file, lit and oauth4webapi left as
//   imports (dependencies), with .d.ts and source maps;
// - dist/closo-login.min.js: the drop-in file, a minified ES module with everything inlined, which
//   loads dist/closo-login-session-<hash>.min.js (the session's code) when it is needed.
// src/ is not published, so the source maps carry the sources themselves (inlineSources), and
// there are no declaration maps (TypeScript cannot embed sources in those).
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';

/** Empties dist/ when a build starts (not when this file is imported: the bench imports `dropIn`). */
const cleanDist = () => ({ name: 'closo-login:clean-dist', buildStart: () => rmSync('dist', { recursive: true, force: true }) });

/**
 * The text parts of the html`` template starting at `start` (the backtick) in `code`, with each run
 * of whitespace that holds a line break made one space (HTML treats them alike), and where it
 * ends. Nested templates inside `${…}` are copied as they are: only the outer literal is html.
 */
function collapseHtml(code, start) {
  let out = '`';
  let i = start + 1;
  while (i < code.length && code[i] !== '`') {
    if (code[i] === '\\') {
      out += code.slice(i, i + 2);
      i += 2;
    } else if (code.startsWith('${', i)) {
      // An expression: copy it whole, nested templates and braces included.
      let depth = 0;
      let j = i;
      let quote = null;
      for (; j < code.length; j++) {
        const c = code[j];
        if (quote) {
          if (c === '\\') j++;
          else if (c === quote) quote = null;
        } else if (c === '`' || c === '"' || c === "'") quote = c;
        else if (c === '{') depth++;
        else if (c === '}' && --depth === 0) break;
      }
      out += code.slice(i, j + 1);
      i = j + 1;
    } else {
      const next = code.slice(i).search(/\$\{|`|\\/);
      const end = next === -1 ? code.length : i + next;
      out += code.slice(i, end).replace(/\s*\n\s*/g, ' ');
      i = end;
    }
  }
  return { text: `${out}\``, end: i + 1 };
}

/**
 * Shrinks the element's css`` and html`` literals in the drop-in file: comments and
 * indentation go, since CSS and HTML treat runs of whitespace alike. Only our own sources.
 */
const minifyLiterals = () => ({
  name: 'closo-login:minify-literals',
  transform(code, id) {
    if (!/\/src\/[^/]+\.ts$/.test(id)) return null;
    let out = code.replace(/\bcss\s*`([^`$]*)`/g, (_, body) => `css\`${body.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s+/g, ' ').replace(/\s*([{};:,>])\s*/g, '$1').trim()}\``);
    for (let at = out.search(/\bhtml\s*`/); at !== -1;) {
      const tick = out.indexOf('`', at);
      const { text, end } = collapseHtml(out, tick);
      out = out.slice(0, tick) + text + out.slice(end);
      // On from inside this template: the templates nested in its expressions are html too.
      const next = out.slice(tick + 1).search(/\bhtml\s*`/);
      at = next === -1 ? -1 : tick + 1 + next;
    }
    return out === code ? null : { code: out, map: null };
  },
});

/**
 * The refresh token's vault worker (src/core/token-worker.ts) as a file of its own beside the
 * drop-in, content-hashed like the session's; token-worker-start.ts finds it relative to
 * itself, as in the npm build, so its URL is rewritten to the emitted file's. The worker's
 * sha384 goes into token-worker-start.ts (WORKER_INTEGRITY), which checks it when it fetches
 * the worker from a CDN: a page that pins that file pins the worker too. The hash is known
 * only once the worker is written, so a placeholder of the same length stands in until then
 * (source map columns stay right); that file's name still changes with the worker, whose
 * hashed name it holds.
 */
const tokenWorker = () => {
  const placeholder = `sha384-${'closo-login-token-worker-integrity'.padEnd(64, '0')}`;
  let reference;
  return {
    name: 'closo-login:token-worker',
    buildStart() {
      reference = this.emitFile({ type: 'chunk', id: 'src/core/token-worker.ts', name: 'token-worker' });
    },
    transform(code, id) {
      if (!id.endsWith('/src/core/token-worker-start.ts')) return null;
      const out = code
        .replace("new URL('./token-worker.js', import.meta.url)", `new URL(import.meta.ROLLUP_FILE_URL_${reference})`)
        .replace("const WORKER_INTEGRITY = '';", `const WORKER_INTEGRITY = '${placeholder}';`);
      if (!out.includes('ROLLUP_FILE_URL') || !out.includes(placeholder)) {
        throw new Error('token-worker-start.ts no longer names its worker as new URL(\'./token-worker.js\', import.meta.url) and WORKER_INTEGRITY = \'\'');
      }
      return { code: out, map: null };
    },
    // Once the files are on disk, as the browser will get them (source map comment included).
    writeBundle: {
      order: 'pre',
      sequential: true,
      handler({ dir }, bundle) {
        const worker = readFileSync(join(dir, this.getFileName(reference)));
        const integrity = `sha384-${createHash('sha384').update(worker).digest('base64')}`;
        const holders = Object.values(bundle).filter((file) => file.type === 'chunk' && file.code.includes(placeholder));
        if (holders.length !== 1) throw new Error(`the worker's integrity placeholder is in ${holders.length} files, not 1`);
        const file = join(dir, holders[0].fileName);
        writeFileSync(file, readFileSync(file, 'utf8').replaceAll(placeholder, integrity));
      },
    },
  };
};

const onwarn = (warning, warn) => {
  // Circular-import notes from dependencies are not ours to fix; anything else fails the build.
  if (warning.code === 'CIRCULAR_DEPENDENCY' && /node_modules/.test(warning.ids?.[0] ?? '')) return;
  // The framework typings entries (react, vue, svelte) are types only: their .js is empty on purpose.
  if (warning.code === 'EMPTY_BUNDLE' && /^(react|vue|svelte)$/.test(warning.names?.[0] ?? '')) return;
  throw new Error(`${warning.code}: ${warning.message}`);
};

/**
 * Subresource Integrity for every file of the drop-in, as written to disk: dist/integrity.json
 * (file name → sha384), printed too. docs/getting-started.md shows how a page pins them.
 */
const integrity = () => ({
  name: 'closo-login:integrity',
  writeBundle({ dir }, bundle) {
    const files = Object.keys(bundle).filter((name) => name.endsWith('.min.js')).sort();
    const hashes = Object.fromEntries(files.map((name) => [name, `sha384-${createHash('sha384').update(readFileSync(join(dir, name))).digest('base64')}`]));
    writeFileSync(join(dir, 'integrity.json'), `${JSON.stringify(hashes, null, 2)}\n`);
    // On stderr: `npm pack --json` runs the build and its stdout must stay JSON.
    for (const [name, hash] of Object.entries(hashes)) process.stderr.write(`${name} ${hash}\n`);
  },
});

/** The drop-in build (the bench builds it once more as one file, with `inlineDynamicImports`). */
export const dropIn = {
  input: 'src/index.ts',
  // The session's file imports what it shares with the entry from the entry itself: two files, not three.
  preserveEntrySignatures: 'allow-extension',
  // The drop-in is two files: what every page loads, and the session's code (the protocol,
  // oauth4webapi included), which it imports from beside itself when a page logs someone in
  // (src/core/sessions.ts). The second file's name carries its content hash, so a CDN never
  // serves one version's chunk to another version's entry.
  output: {
    dir: 'dist',
    // The worker is an entry of its own (emitted by tokenWorker()), hashed like the session's file.
    entryFileNames: (chunk) => (chunk.name === 'token-worker' ? 'closo-login-[name]-[hash].min.js' : 'closo-login.min.js'),
    chunkFileNames: 'closo-login-[name]-[hash].min.js',
    format: 'es',
    sourcemap: true,
  },
  plugins: [
    nodeResolve({ browser: true }),
    typescript({ tsconfig: './tsconfig.json', outDir: 'dist', declaration: false, declarationMap: false, inlineSources: true }),
    // After TypeScript: the TypeScript plugin compiles from the files on disk.
    minifyLiterals(),
    tokenWorker(),
    terser({ ecma: 2022, module: true, compress: { passes: 2 }, format: { comments: false } }),
    integrity(),
  ],
  onwarn,
};

export default [
  {
    // The worker is imported by nobody (token-worker-start.ts starts it by URL): an input of its own.
    input: ['src/index.ts', 'src/define.ts', 'src/closo-login.ts', 'src/react.ts', 'src/vue.ts', 'src/svelte.ts', 'src/core/token-worker.ts'],
    external: [/^lit($|\/)/, /^@lit\//, /^oauth4webapi$/, /^tslib$/, /^(react|vue|svelte)($|\/)/],
    output: { dir: 'dist', format: 'es', preserveModules: true, preserveModulesRoot: 'src', sourcemap: true },
    plugins: [
      cleanDist(),
      // tslib stays an import (a dependency), as lit and oauth4webapi do.
      typescript({ tsconfig: './tsconfig.json', outDir: 'dist', declaration: true, declarationMap: false, inlineSources: true, tslib: 'tslib' })],
    onwarn,
  },
  dropIn,
];
