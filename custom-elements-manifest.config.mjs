// custom-elements.json, generated from the element's JSDoc and lit decorators (npm run build).
export default {
  globs: ['src/closo-login.ts'],
  outdir: '.',
  litelement: true,
  plugins: [
    {
      name: 'closo-login:published-paths',
      // The package ships dist/*.js, not src/*.ts: point the manifest at what users import.
      packageLinkPhase({ customElementsManifest }) {
        const published = (path) => path.replace(/^src\/(.*)\.ts$/, 'dist/$1.js');
        for (const mod of customElementsManifest.modules) {
          mod.path = published(mod.path);
          for (const exp of mod.exports ?? []) if (exp.declaration?.module) exp.declaration.module = published(exp.declaration.module);
        }
      },
    },
  ],
};
