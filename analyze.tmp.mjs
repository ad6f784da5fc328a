import { rollup } from 'rollup';
import config from './rollup.config.mjs';
const c = config[1];
const bundle = await rollup({ ...c, onwarn() {} });
const { output } = await bundle.generate(Array.isArray(c.output) ? c.output[0] : c.output);
for (const chunk of output) {
  if (chunk.type !== 'chunk') continue;
  console.log('==', chunk.fileName, chunk.code.length);
  const mods = Object.entries(chunk.modules).map(([id, m]) => [id.replace(/.*node_modules\//, '').replace(/.*\/src\//, 'src/'), m.renderedLength]).sort((a, b) => b[1] - a[1]);
  for (const [id, len] of mods) if (len > 0) console.log(String(len).padStart(7), id);
}
