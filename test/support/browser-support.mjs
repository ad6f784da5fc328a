// The oldest browser versions the element runs in, derived from the web platform features it uses
// and the Baseline data of the web-features package (per compat key, from browser-compat-data).
// docs/browsers.md shows the table this computes; test/browser-support.test.mjs keeps them equal.
//   node test/support/browser-support.mjs            prints the table
//   node test/support/browser-support.mjs --write    writes it into docs/browsers.md
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const data = createRequire(import.meta.url)('web-features/data.json');

/** The browsers of the table, as web-features names them. */
export const BROWSERS = { chrome: 'Chrome, Edge', firefox: 'Firefox', safari: 'Safari (macOS)', safari_ios: 'Safari (iOS, and every iOS browser)' };

/** What the element needs, by the compat key of each feature it uses, and why. Without any of these it does not run. */
export const REQUIRED = {
  'javascript.operators.import': 'the drop-in loads the session\'s code with import()',
  'javascript.operators.import_meta': 'the worker is found beside the module that starts it',
  'api.CustomElementRegistry.define': 'the element',
  'api.Element.attachShadow': 'its shadow root',
  'javascript.classes.private_class_fields': 'lit and the core (#private fields)',
  'javascript.classes.private_class_methods': 'the core (#private methods)',
  'javascript.operators.nullish_coalescing_assignment': '??= in the core',
  'javascript.builtins.Array.at': 'configuration messages',
  'api.Crypto.randomUUID': 'session ids and refresh token handles',
  'api.SubtleCrypto.digest': 'the PKCE S256 challenge',
  'api.SubtleCrypto.verify': 'ID token signatures, DPoP proofs',
  'api.AbortSignal.timeout_static': 'a time limit on every request',
  'api.AbortSignal.throwIfAborted': 'a silent sign-in that a click cancels',
  'api.structuredClone': 'oauth4webapi\'s key cache',
};

/** What the element uses where it is there, and does without (docs/browsers.md says how). */
export const OPTIONAL = {
  'api.Worker.Worker.options_type_parameter': 'the refresh token\'s worker (a module worker); without it the refresh token stays in the page',
  'api.LockManager': 'one renewal per refresh token across tabs (Web Locks); without them, renewals are one at a time per tab only',
  'api.BroadcastChannel': 'logins, renewals and logouts reaching the other tabs',
  'api.IDBFactory': 'the DPoP key kept across reloads (IndexedDB); without it, the key lives in memory and a reload needs a new login',
  'css.types.color.light-dark': 'default colours that follow the page\'s color-scheme',
  'html.elements.link.rel.modulepreload': 'the modulepreload line of a faster callback page',
  'api.PublicKeyCredential': 'passkeys (`passkeys`, `login({ passkey })`); without WebAuthn they give `passkey_unsupported`, and Log in works',
  'api.PublicKeyCredential.isConditionalMediationAvailable_static': 'the site\'s passkeys in the email field\'s autofill; without it, only the passkey button',
};

const supportOf = (key) => {
  for (const feature of Object.values(data.features)) {
    const status = feature.status?.by_compat_key?.[key];
    if (status) return status.support;
  }
  throw new Error(`web-features knows no compat key ${key}`);
};

const newer = (a, b) => {
  if (a === undefined || b === undefined) return undefined; // not supported at all
  const [x, y] = [a, b].map((v) => v.replace(/^≤/, '').split('.').map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0) ? a : b;
  return a;
};

/** Per browser, the oldest version with every required feature, and the feature that sets it. */
export function minimumVersions() {
  return Object.fromEntries(Object.keys(BROWSERS).map((browser) => {
    let version = '1';
    let setBy = null;
    for (const key of Object.keys(REQUIRED)) {
      const support = supportOf(key)[browser];
      const next = newer(version, support);
      if (next !== version) setBy = key;
      version = next;
    }
    return [browser, { version: version?.replace(/^≤/, ''), setBy }];
  }));
}

/** The Markdown table of docs/browsers.md. */
export function supportTable() {
  const minimum = minimumVersions();
  const lines = ['| Browser | Oldest version | Set by |', '|---|---:|---|'];
  for (const [browser, name] of Object.entries(BROWSERS)) {
    const { version, setBy } = minimum[browser];
    lines.push(`| ${name} | ${version} | \`${setBy}\` (${REQUIRED[setBy]}) |`);
  }
  lines.push('', '| Used where it is there | Chrome | Firefox | Safari | What the element does without it |', '|---|---:|---:|---:|---|');
  for (const [key, what] of Object.entries(OPTIONAL)) {
    const support = supportOf(key);
    lines.push(`| \`${key}\` | ${support.chrome ?? '—'} | ${support.firefox ?? '—'} | ${support.safari ?? '—'} | ${what} |`);
  }
  return lines.join('\n');
}

const DOC = new URL('../../docs/browsers.md', import.meta.url);
export const MARKERS = [/<!-- browser-support:start -->[\s\S]*<!-- browser-support:end -->/, (table) => `<!-- browser-support:start -->\n${table}\n<!-- browser-support:end -->`];

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const table = supportTable();
  if (process.argv.includes('--write')) writeFileSync(DOC, readFileSync(DOC, 'utf8').replace(MARKERS[0], MARKERS[1](table)));
  console.log(table);
}
