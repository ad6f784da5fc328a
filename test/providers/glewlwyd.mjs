// Glewlwyd 2.7.5 (Debian's `glewlwyd`, an OpenID Provider written in C) as a private provider for
// one test file: its own configuration, sqlite database, RSA key, user, public client and webapp
// copy in a fresh temporary folder, on a free loopback port. The system service is never used.
// What it is told is in glewlwyd-config.mjs; its login form is filled in glewlwyd-login.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, cpSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLUGIN_NAME, oidcPlugin, serverConfig, signingKeys } from './glewlwyd-config.mjs';
import { adminSetup } from './glewlwyd-setup.mjs';
import { confirmLogoutAtGlewlwyd, logInAtGlewlwyd } from './glewlwyd-login.mjs';

/** The Debian packages this needs: Glewlwyd itself, and sqlite3's shell to make the database from its schema. */
export const GLEWLWYD_PACKAGES = ['glewlwyd', 'sqlite3'];

/**
 * How to install them without questions. The package's own configuration ("Personalized", its
 * default) fails without a terminal: its postinst falls through to PostgreSQL and exits 2. This
 * run needs none of it (it brings its own), so the question is answered "No configuration" first.
 */
export const GLEWLWYD_INSTALL = "echo 'glewlwyd glewlwyd/config_type select No configuration' | debconf-set-selections"
  + ` && DEBIAN_FRONTEND=noninteractive apt-get install -y ${GLEWLWYD_PACKAGES.join(' ')}`;

/** Those of GLEWLWYD_PACKAGES that dpkg does not have installed. */
export function glewlwydMissingPackages() {
  return GLEWLWYD_PACKAGES.filter((name) => {
    const query = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return query.status !== 0 || query.stdout.trim() !== 'install ok installed';
  });
}

const WEBAPP = '/usr/share/glewlwyd/webapp';
/** The package's sqlite schema (the one dbconfig-common would load): every table, the scopes g_admin/g_profile/openid, and an `admin` user. */
const SCHEMA = '/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3';
/** How long Glewlwyd may take to answer after it is started, on a busy 2-core machine. */
const START_MS = 20_000;

/**
 * Glewlwyd runs under this sh watchdog, which ends it when its stdin closes: when stop() closes
 * it, and when this Node process ends in any way (a crash, a signal, even SIGKILL), so Glewlwyd
 * never outlives the tests. (A background job's stdin is /dev/null unless redirected: hence fd 3.)
 * The watchdog exits with Glewlwyd's status, and takes its reader with it.
 */
const WATCHDOG = `exec 3<&0
glewlwyd "$@" </dev/null & glewlwyd=$!
(read _ <&3; kill $glewlwyd 2>/dev/null) & reader=$!
wait $glewlwyd; status=$?
kill $reader 2>/dev/null
exit $status`;

const freePort = () => new Promise((resolve, reject) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
  server.on('error', reject);
});

/**
 * A real copy of Debian's webapp. Debian installs symlinks there (jquery, bootstrap, popper,
 * fork-awesome, and config.json → a folder holding config.json), and Glewlwyd's file server
 * answers 404 for symlinked files.
 */
function copyWebapp(to) {
  const settings = join(WEBAPP, 'config.json');
  cpSync(WEBAPP, to, { recursive: true, dereference: true, filter: (source) => source !== settings });
  const real = realpathSync(settings);
  copyFileSync(statSync(real).isDirectory() ? join(real, 'config.json') : real, join(to, 'config.json'));
}

/** Polls `url` until it answers `ok(response)`; fails when `exited()` says the process died, or after START_MS. */
async function waitFor(url, ok, exited, what) {
  for (const end = Date.now() + START_MS; ; await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (exited()) throw new Error(`Glewlwyd exited before ${what} answered`);
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
    if (response && ok(response)) return response;
    if (Date.now() > end) throw new Error(`${what} did not answer within ${START_MS} ms (${url})`);
  }
}

/** The page origins `redirectUris` name: the one CORS must let in (Glewlwyd sends one Access-Control-Allow-Origin value for every request). */
function pageOrigin(redirectUris) {
  const origins = new Set(redirectUris.map((uri) => new URL(uri).origin));
  return origins.size === 1 ? [...origins][0] : '*';
}

/**
 * Starts Glewlwyd for `clientId` (a public client, Authorization Code + PKCE, refresh tokens).
 * @param {{ clientId: string, redirectUris: string[], postLogoutRedirectUris: string[] }} options
 * @returns {Promise<{ issuer: string, user: { login: string, password: string }, logIn(page: import('playwright').Page): Promise<void>,
 *   confirmLogout(page: import('playwright').Page): Promise<void>, log(): string, stop(): Promise<void> }>}
 *   logIn fills its login form (and its Continue step); confirmLogout clicks Logout on its end-session page;
 *   log() is what Glewlwyd printed; stop() ends it and removes its folder.
 */
export async function startGlewlwyd({ clientId, redirectUris, postLogoutRedirectUris }) {
  const missing = glewlwydMissingPackages();
  if (missing.length) throw new Error(`Glewlwyd needs the Debian packages ${missing.join(', ')}. As root: ${GLEWLWYD_INSTALL}`);
  const dir = mkdtempSync(join(tmpdir(), 'closo-glewlwyd-'));
  const logFile = join(dir, 'glewlwyd.log');
  let child = null;
  let exitCode = null;
  const log = () => { try { return readFileSync(logFile, 'utf8'); } catch { return ''; } };

  /** Ends Glewlwyd (SIGTERM by its watchdog; SIGKILL to the whole group if it lingers) and removes the folder. */
  async function stop() {
    if (child && exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      const killed = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ } }, 5_000);
      await exited;
      clearTimeout(killed);
    }
    rmSync(dir, { recursive: true, force: true });
  }

  try {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const issuer = `${origin}/api/${PLUGIN_NAME}`;
    copyWebapp(join(dir, 'webapp'));
    const database = join(dir, 'glewlwyd.db');
    const schema = spawnSync('sqlite3', [database], { input: readFileSync(SCHEMA), encoding: 'utf8' });
    if (schema.status !== 0) throw new Error(`sqlite3 could not load Glewlwyd's schema: ${schema.stderr}`);
    const configFile = join(dir, 'glewlwyd.conf');
    writeFileSync(configFile, serverConfig({ port, origin, webapp: join(dir, 'webapp'), database, allowOrigin: pageOrigin(redirectUris) }));

    const out = openSync(logFile, 'a');
    // detached: the watchdog leads a process group of its own, which stop() can kill as a whole.
    child = spawn('sh', ['-c', WATCHDOG, 'glewlwyd', `--config-file=${configFile}`], { stdio: ['pipe', out, out], detached: true });
    closeSync(out);
    child.on('exit', (code, signal) => {
      exitCode = code ?? signal;
      child.stdin.destroy();
    });
    const exited = () => exitCode !== null;
    await waitFor(`${origin}/config`, (response) => response.ok, exited, 'its /config endpoint');

    const user = { login: 'closo-user', password: randomBytes(12).toString('base64url') };
    const keys = signingKeys();
    await adminSetup(`${origin}/api`, { plugin: oidcPlugin({ issuer, ...keys }), clientId, redirectUris, postLogoutRedirectUris, user });
    await waitFor(`${issuer}/.well-known/openid-configuration`, (response) => response.ok, exited, 'its discovery document');
    return { issuer, user, logIn: (page) => logInAtGlewlwyd(page, user), confirmLogout: confirmLogoutAtGlewlwyd, log, stop };
  } catch (error) {
    const output = log();
    await stop();
    error.message += output ? `\nGlewlwyd's log:\n${output.slice(-4_000)}` : '';
    throw error;
  }
}
