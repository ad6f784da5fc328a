import { rollup } from 'rollup';
import { gzipSync } from 'node:zlib';
import config from './rollup.config.mjs';
const c = config[1];
const bundle = await rollup({ ...c, onwarn() {} });
const { output } = await bundle.generate({ ...c.output, dir: '/tmp/permod', preserveModules: true, entryFileNames: '[name].js', chunkFileNames: '[name].js' });
const rows = output.filter((o) => o.type === 'chunk').map((o) => [o.fileName, o.code.length, gzipSync(o.code, { level: 9 }).length]).sort((a, b) => b[2] - a[2]);
for (const r of rows) console.log(String(r[2]).padStart(6), String(r[1]).padStart(6), r[0]);
console.log(rows.reduce((a, r) => a + r[2], 0));
