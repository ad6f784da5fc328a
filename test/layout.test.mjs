// The layout of src/ that docs/how-it-works.md describes, checked: every file short enough to
// read alone, no import cycle, the framework-free core never importing the public face above
// it, and the first-load line drawn in the tree: src/core/ holds what every page loads (the
// first file of the drop-in), src/core/session/ the session's code (loaded when a page logs
// someone in), src/core/passkeys/ the passkey code (loaded by the session when a passkey is
// used), src/core/token-worker.ts the refresh token's worker (a file of its own).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const src = join(root, 'src');
const core = join(src, 'core');
const lazy = join(core, 'session', '/');
const onUse = join(core, 'passkeys', '/');
const worker = join(core, 'token-worker.ts');
const MAX_LINES = 350;

const files = readdirSync(src, { recursive: true }).filter((f) => f.endsWith('.ts')).map((f) => join(src, f));
const name = (file) => relative(root, file);
const code = new Map(files.map((file) => [file, readFileSync(file, 'utf8')]));
const target = (file, specifier) => resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));

/**
 * The src/ files `file` imports: `value` imports load code at run time; `type` imports
 * (`import type`, or every name marked `type`) are erased; `dynamic` ones are import() calls.
 */
function imports(file) {
  const found = [];
  for (const m of code.get(file).matchAll(/^\s*(import|export)(\s+type)?\s([^;]*?)\s*from\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'/gm)) {
    if (m[5]) {
      found.push({ kind: 'value', to: target(file, m[5]) });
      continue;
    }
    const names = /\{([^}]*)\}/.exec(m[3])?.[1].split(',').map((n) => n.trim()).filter(Boolean);
    const typeOnly = Boolean(m[2]) || (names !== undefined && names.length > 0 && names.every((n) => n.startsWith('type ')) && !/^\s*\w+\s*,/.test(m[3]));
    found.push({ kind: typeOnly ? 'type' : 'value', to: target(file, m[4]) });
  }
  for (const m of code.get(file).matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g)) found.push({ kind: 'dynamic', to: target(file, m[1]) });
  return found;
}
const graph = new Map(files.map((file) => [file, imports(file)]));

/** Files with no run-time code at all: esbuild, which erases types as the build does, leaves nothing of them. */
const typesOnly = (file) => transformSync(code.get(file), { loader: 'ts', format: 'esm' }).code.replace(/export\s*\{\s*\};?/g, '').trim() === '';

/** What a page that imports `entry` loads at once: its static value imports, followed. */
function firstLoad(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const { kind, to } of graph.get(file) ?? []) if (kind === 'value') visit(to);
  };
  visit(entry);
  return seen;
}

describe('src/ layout', () => {
  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = files.map((file) => [name(file), code.get(file).split('\n').length]).filter(([, lines]) => lines > MAX_LINES);
    assert.deepEqual(long, []);
  });

  it('imports only files that exist', () => {
    for (const [file, targets] of graph) for (const { to } of targets) assert.ok(graph.has(to), `${name(file)} imports ${name(to)}`);
  });

  it('has no import cycle', () => {
    const done = new Set();
    const visit = (file, path) => {
      if (path.includes(file)) assert.fail(`import cycle: ${[...path.slice(path.indexOf(file)), file].map(name).join(' → ')}`);
      if (done.has(file)) return;
      for (const { to } of graph.get(file) ?? []) visit(to, [...path, file]);
      done.add(file);
    };
    for (const file of files) visit(file, []);
  });

  it('keeps the core framework-free: src/core imports nothing above it, nor lit', () => {
    for (const [file, targets] of graph) {
      if (!file.startsWith(core)) continue;
      for (const { to } of targets) assert.ok(to.startsWith(core), `${name(file)} imports ${name(to)}`);
      assert.doesNotMatch(code.get(file), /from 'lit/, `${name(file)} imports lit`);
    }
  });
});

describe('the first-load line', () => {
  const loaded = firstLoad(join(src, 'index.ts'));
  const eager = files.filter((file) => !file.startsWith(lazy) && !file.startsWith(onUse) && file !== worker);

  it('src/core/ (but the worker) is exactly what a page loads at once, besides the element: every file there is loaded, or holds types only', () => {
    const coreFiles = eager.filter((file) => file.startsWith(core));
    assert.deepEqual(coreFiles.filter((file) => !loaded.has(file) && !typesOnly(file)).map(name), [], 'in src/core/ but not in the first load');
    assert.deepEqual([...loaded].filter((file) => file.startsWith(core) && !coreFiles.includes(file)).map(name), [], 'in the first load but not in src/core/');
  });

  it('the first load reaches the session\'s code only through one import(), and names none of its types', () => {
    const crossings = eager.flatMap((file) => graph.get(file).filter(({ to }) => to.startsWith(lazy)).map(({ kind, to }) => `${name(file)} → ${name(to)} (${kind})`));
    assert.deepEqual(crossings, ['src/core/session-handle.ts → src/core/session/session.ts (dynamic)']);
  });

  it('the session\'s code imports no file of the first load dynamically, and nothing imports the worker: it is started by URL', () => {
    for (const [file, targets] of graph) {
      for (const { kind, to } of targets) {
        assert.notEqual(to, worker, `${name(file)} imports the worker`);
        if (file.startsWith(lazy) && kind === 'dynamic') assert.ok(to.startsWith(onUse), `${name(file)} imports ${name(to)} with import()`);
      }
    }
  });

  it('the passkey code is reached only through one import() of the session\'s, and loads nothing with import() itself', () => {
    const crossings = files.filter((file) => !file.startsWith(onUse)).flatMap((file) => graph.get(file).filter(({ to, kind }) => to.startsWith(onUse) && kind !== 'type').map(({ kind, to }) => `${name(file)} → ${name(to)} (${kind})`));
    assert.deepEqual(crossings, ['src/core/session/passkeys.ts → src/core/passkeys/passkey-login.ts (dynamic)']);
    for (const file of files.filter((f) => f.startsWith(onUse))) assert.ok(graph.get(file).every(({ kind }) => kind !== 'dynamic'), `${name(file)} uses import()`);
  });

  it('the worker imports types only, so that at run time it imports nothing (it also runs from a blob: URL)', () => {
    const kinds = graph.get(worker).map(({ kind, to }) => `${kind} ${name(to)}`);
    assert.deepEqual(kinds, ['type src/core/token-worker-protocol.ts']);
    assert.doesNotMatch(transformSync(code.get(worker), { loader: 'ts', format: 'esm' }).code, /^\s*import\b/m);
  });

  it('the contracts between the files are types only: nothing of them reaches a bundle', () => {
    for (const contract of ['src/core/session-contract.ts', 'src/core/token-worker-protocol.ts']) assert.ok(typesOnly(join(root, contract)), `${contract} has run-time code`);
    // and the check can fail: a file with code is not types only
    assert.equal(typesOnly(join(core, 'callback-params.ts')), false);
  });
});
