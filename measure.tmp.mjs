// Size of a set of modules bundled alone (rollup + terser like the drop-in), gzip -9.
import { rollup } from 'rollup';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { gzipSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
const code = process.argv[2];
writeFileSync(process.cwd() + '/m-entry.tmp.js', code);
const bundle = await rollup({ input: process.cwd() + '/m-entry.tmp.js', plugins: [nodeResolve({ browser: true, rootDir: process.cwd(), modulePaths: [process.cwd() + '/node_modules'] })], onwarn() {} });
const { output } = await bundle.generate({ format: 'es', plugins: [terser({ ecma: 2022, module: true, compress: { passes: 2 }, format: { comments: false } })] });
console.log(output[0].code.length, gzipSync(output[0].code, { level: 9 }).length);
