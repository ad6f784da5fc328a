// custom-elements.json, generated from the element's JSDoc and lit's static properties, and from
// the configuration options in src/core/config.ts (npm run build, after rollup: it reads dist/).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';

const CONFIG_SOURCE = 'src/core/config.ts';
const { OPTIONS } = await import('./dist/core/config.js');

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

/**
 * The element's configuration properties come from one list, OPTIONS (src/core/config.ts),
 * which the element spreads into its static properties: the analyzer cannot follow that. Each
 * option becomes a field and an attribute here, with its documentation (the comment above it),
 * its property type (TypeScript's, for `initial`) and its default (the value itself).
 * lit's internal state (`state: true`) has no attribute, which the analyzer does not know either.
 * Needs dist/ (npm run build runs rollup first).
 */
function configurationOptions() {
  const program = ts.createProgram([CONFIG_SOURCE], { strict: true, exactOptionalPropertyTypes: true, target: ts.ScriptTarget.ES2022, noEmit: true, types: [] });
  const source = program.getSourceFile(CONFIG_SOURCE);
  const checker = program.getTypeChecker();
  const list = source.statements.flatMap((s) => (ts.isVariableStatement(s) ? [...s.declarationList.declarations] : []))
    .find((d) => d.name.getText(source) === 'OPTIONS');
  const literal = (value) => (typeof value === 'string' ? `'${value}'` : String(value));
  const options = list.initializer.properties.map((property) => {
    const name = property.name.getText(source);
    const description = ts.getJSDocCommentsAndTags(property).map((doc) => ts.getTextOfJSDocComment(doc.comment)).join('\n');
    const initial = checker.getTypeOfSymbol(checker.getTypeAtLocation(property.initializer).getProperty('initial'));
    const type = { text: checker.typeToString(initial).replaceAll('"', "'") };
    const { attribute, initial: value } = OPTIONS[name];
    return { name, description, type, attribute, ...(value === undefined ? {} : { default: literal(value) }) };
  });
  return {
    name: 'closo-login:options',
    packageLinkPhase({ customElementsManifest }) {
      const element = customElementsManifest.modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === 'closo-login');
      const state = new Set(element.members.filter((m) => m.privacy === 'private' && m.attribute).map((m) => m.name));
      for (const member of element.members) {
        if (state.has(member.name)) delete member.attribute;
        // Public is the default: said only of what is not (as for the rest of the manifest).
        if (member.privacy === 'public') delete member.privacy;
      }
      element.attributes = (element.attributes ?? []).filter((a) => !state.has(a.fieldName));
      const at = element.members.findIndex((m) => m.kind === 'field');
      element.members.splice(at, 0, ...options.map(({ name, description, type, attribute, default: value }) =>
        ({ kind: 'field', name, type, description, ...(value === undefined ? {} : { default: value }), attribute })));
      element.attributes.unshift(...options.map(({ name, description, type, attribute, default: value }) =>
        ({ name: attribute, type, description, ...(value === undefined ? {} : { default: value }), fieldName: name })));
    },
  };
}

export default {
  globs: ['src/closo-login.ts'],
  outdir: '.',
  litelement: true,
  plugins: [
    configurationOptions(),
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
