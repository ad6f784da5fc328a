// The layout of src/ that docs/how-it-works.md describes, checked: every file short enough to
// read alone, no import cycle, and the framework-free core never importing the public face
// (the element, its registration, events, framework typings) above it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const src = join(root, 'src');
const MAX_LINES = 400;

const files = readdirSync(src, { recursive: true }).filter((f) => f.endsWith('.ts')).map((f) => join(src, f));
const name = (file) => relative(root, file);

/** The src/ files `file` imports (value or type imports alike: a cycle of types is still a cycle to read). */
function imports(file) {
  const code = readFileSync(file, 'utf8');
  return [...code.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'/gm)]
    .map((m) => resolve(dirname(file), (m[1] ?? m[2]).replace(/\.js$/, '.ts')));
}
const graph = new Map(files.map((file) => [file, imports(file)]));

describe('src/ layout', () => {
  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = files.map((file) => [name(file), readFileSync(file, 'utf8').split('\n').length]).filter(([, lines]) => lines > MAX_LINES);
    assert.deepEqual(long, []);
  });

  it('imports only files that exist', () => {
    for (const [file, targets] of graph) for (const target of targets) assert.ok(graph.has(target), `${name(file)} imports ${name(target)}`);
  });

  it('has no import cycle', () => {
    const done = new Set();
    const visit = (file, path) => {
      if (path.includes(file)) assert.fail(`import cycle: ${[...path.slice(path.indexOf(file)), file].map(name).join(' → ')}`);
      if (done.has(file)) return;
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      done.add(file);
    };
    for (const file of files) visit(file, []);
  });

  it('keeps the core framework-free: src/core imports nothing above it, nor lit', () => {
    const core = join(src, 'core');
    for (const [file, targets] of graph) {
      if (!file.startsWith(core)) continue;
      for (const target of targets) assert.ok(target.startsWith(core), `${name(file)} imports ${name(target)}`);
      assert.doesNotMatch(readFileSync(file, 'utf8'), /from 'lit/, `${name(file)} imports lit`);
    }
  });
});
