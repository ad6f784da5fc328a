import { rollup } from 'rollup';
import { gzipSync } from 'node:zlib';
import config from './rollup.config.mjs';
const c = config[1];
const bundle = await rollup({ ...c, onwarn() {} });
const { output } = await bundle.generate({ ...c.output, inlineDynamicImports: true, entryFileNames: 'x.js' });
console.log('single', output[0].code.length, gzipSync(output[0].code, { level: 9 }).length);
