import { rollup } from 'rollup';
import terser from '@rollup/plugin-terser';
import { gzipSync } from 'node:zlib';
import config from './rollup.config.mjs';
const c = config[1];
const variants = {
  base: { ecma: 2022, module: true, compress: { passes: 2 }, format: { comments: false } },
  p3unsafe: { ecma: 2022, module: true, compress: { passes: 3, unsafe: true, unsafe_arrows: true, unsafe_methods: true, pure_getters: true, unsafe_comps: true }, format: { comments: false } },
  p3: { ecma: 2022, module: true, compress: { passes: 3, pure_getters: true }, format: { comments: false } },
};
for (const [name, opts] of Object.entries(variants)) {
  const plugins = c.plugins.filter((p) => p.name !== 'terser').concat(terser(opts));
  const bundle = await rollup({ ...c, plugins, onwarn() {} });
  const { output } = await bundle.generate(c.output);
  const sizes = output.filter((o) => o.type === 'chunk').map((o) => [o.fileName.slice(0, 22), o.code.length, gzipSync(o.code, { level: 9 }).length]);
  console.log(name, JSON.stringify(sizes), sizes.reduce((a, s) => a + s[2], 0));
}
