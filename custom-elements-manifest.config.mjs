// custom-elements.json, generated from the element's JSDoc and lit decorators (npm run build).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Defaults that name an imported constant (`scope = DEFAULT_SCOPE`) become that constant's
 * literal value, read from the module it comes from: tools show values, not our identifiers.
 */
function literalDefaults() {
  const constants = new Map();
  return {
    name: 'closo-login:literal-defaults',
    analyzePhase({ ts, node, moduleDoc }) {
      if (!ts.isImportDeclaration(node) || !node.moduleSpecifier.text.startsWith('.')) return;
      const bindings = node.importClause?.namedBindings;
      if (!bindings || !ts.isNamedImports(bindings)) return;
      const imported = new Set(bindings.elements.filter((e) => !e.isTypeOnly).map((e) => e.name.text));
      const file = join(dirname(moduleDoc.path), node.moduleSpecifier.text.replace(/\.js$/, '.ts'));
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      for (const statement of source.statements) {
        if (!ts.isVariableStatement(statement)) continue;
        for (const declaration of statement.declarationList.declarations) {
          const value = declaration.initializer;
          if (imported.has(declaration.name.getText(source)) && value && (ts.isStringLiteral(value) || ts.isNumericLiteral(value))) {
            constants.set(declaration.name.getText(source), value.getText(source));
          }
        }
      }
    },
    packageLinkPhase({ customElementsManifest }) {
      for (const mod of customElementsManifest.modules) {
        for (const declaration of mod.declarations ?? []) {
          for (const doc of [...(declaration.members ?? []), ...(declaration.attributes ?? [])]) {
            if (constants.has(doc.default)) doc.default = constants.get(doc.default);
          }
        }
      }
    },
  };
}

/**
 * define.js registers the element through ClosoLogin.define(), which the analyzer cannot
 * follow, and index.js imports define.js: say so with custom-element-definition exports.
 */
function definitions() {
  return {
    name: 'closo-login:definitions',
    packageLinkPhase({ customElementsManifest }) {
      const elements = customElementsManifest.modules.flatMap((mod) =>
        (mod.declarations ?? []).filter((d) => d.tagName).map((d) => ({ tagName: d.tagName, declaration: { name: d.name, module: mod.path } })));
      const define = elements.map(({ tagName, declaration }) => ({ kind: 'custom-element-definition', name: tagName, declaration }));
      customElementsManifest.modules.push(
        { kind: 'javascript-module', path: 'src/define.ts', declarations: [], exports: define },
        {
          kind: 'javascript-module',
          path: 'src/index.ts',
          declarations: [],
          exports: [...elements.map(({ declaration }) => ({ kind: 'js', name: declaration.name, declaration })), ...define],
        },
      );
    },
  };
}

export default {
  globs: ['src/closo-login.ts'],
  outdir: '.',
  litelement: true,
  plugins: [
    literalDefaults(),
    definitions(),
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
