// LemonLDAP::NG 2.16, a production Web-SSO product from Debian's packages, started here as an
// OpenID Provider for the end-to-end tests: its portal (the PSGI app Lemonldap::NG::Portal::Main)
// under plackup on a free loopback port, configured in a fresh temporary folder from Debian's own
// example configuration, with a public SPA client (and, if asked, a second one whose consent
// screen is not bypassed). No manager is needed: the portal reads its
// configuration from a JSON file (lmConf-1.json), which is written here.
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Debian's packages the portal needs, to install with `apt-get install --no-install-recommends`.
 * The first three are LemonLDAP::NG and plackup; the portal loads every other one at start
 * (each missing one stops it with "Can't locate X.pm"), though Debian only recommends them.
 */
export const LEMONLDAP_PACKAGES = [
  'lemonldap-ng',
  'liblemonldap-ng-portal-perl',
  'libplack-perl',
  'libgd-securityimage-perl',
  'libimage-magick-perl',
  'libgd-perl',
  'libstring-random-perl',
  'libcrypt-openssl-bignum-perl',
  'libcrypt-openssl-x509-perl',
  'libcrypt-urandom-perl',
  'liburi-perl',
  'libconvert-base32-perl',
  'libio-string-perl',
  'libipc-run-perl',
  'libmime-tools-perl',
  'libunicode-string-perl',
  'libemail-sender-perl',
  'libmime-lite-perl',
  'libemail-mime-perl',
  'libnet-ldap-perl',
  'libauthen-webauthn-perl',
  'libio-socket-timeout-perl',
];

/** Where Debian's packages put the configuration this module copies. */
const DEBIAN_INI = '/etc/lemonldap-ng/lemonldap-ng.ini';
const DEBIAN_STATE = '/var/lib/lemonldap-ng';
const DEBIAN_CONF = `${DEBIAN_STATE}/conf/lmConf-1.json`;
const PORTAL_STATIC = '/usr/share/lemonldap-ng/portal/htdocs/static';
/** jQuery, Bootstrap and Font Awesome from Debian's libjs-* packages, which the portal's pages load from /javascript/. */
const DEBIAN_JAVASCRIPT = '/usr/share/javascript';

/** Its demo user backend's user (Lemonldap::NG::Portal::UserDB::Demo). */
const DEMO_USER = Object.freeze({ login: 'dwho', password: 'dwho' });

/** A Perl start is slow on a busy 2-core machine: the portal's first answer may take a while. */
const START_TIMEOUT_MS = 60_000;

/** The packages of LEMONLDAP_PACKAGES that dpkg does not list as installed (all of them where there is no dpkg). */
export function lemonldapMissingPackages() {
  const query = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...LEMONLDAP_PACKAGES], { encoding: 'utf8' });
  if (query.error) return [...LEMONLDAP_PACKAGES];
  const installed = new Set(query.stdout.split('\n').filter((line) => line.endsWith(' installed')).map((line) => line.split(' ')[0]));
  return LEMONLDAP_PACKAGES.filter((name) => !installed.has(name));
}

/** A free loopback port: the portal's URL must be in its configuration before it starts. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The configuration key of the second client, whose consent is not bypassed. */
const CONSENT_RP = 'closo-consent';
const EXPORTED_CLAIMS = { name: 'cn', email: 'mail', preferred_username: 'uid' };

/** One public SPA client (a LemonLDAP "relying party"), as the element uses it. */
function client({ clientId, redirectUris, postLogoutRedirectUris, bypassConsent }) {
  return {
    // The client_id the element sends.
    oidcRPMetaDataOptionsClientID: clientId,
    // A browser app has no secret: the token endpoint takes the client_id alone.
    oidcRPMetaDataOptionsPublic: 1,
    // Every code must come with its PKCE verifier (S256), as the element always sends.
    oidcRPMetaDataOptionsRequirePKCE: 1,
    // The pages the element may come back to (LemonLDAP compares them exactly, space-separated).
    oidcRPMetaDataOptionsRedirectUris: redirectUris.join(' '),
    // Where its logout may send the user back.
    oidcRPMetaDataOptionsPostLogoutRedirectUris: postLogoutRedirectUris.join(' '),
    // No "do you allow this app" screen: a first-party app, and a silent sign-in could not show it.
    // (Without it, a silent sign-in before the user consented gets consent_required.)
    oidcRPMetaDataOptionsBypassConsent: bypassConsent ? 1 : 0,
    // No "do you want to log out" screen when the element's logout names the user (id_token_hint).
    oidcRPMetaDataOptionsLogoutBypassConfirm: 1,
    // offline_access gives a refresh token that outlives the portal session (honoured only where consent is bypassed, or with prompt=consent).
    oidcRPMetaDataOptionsAllowOffline: 1,
    // No refresh token without offline_access, as with Auth0: such a login renews by a silent sign-in.
    oidcRPMetaDataOptionsRefreshToken: 0,
    // Access tokens as signed JWTs (with exp), as Auth0 gives them, rather than opaque strings.
    oidcRPMetaDataOptionsAccessTokenJWT: 1,
    // The profile and email claims in the ID token too, as Auth0 sends them: the element shows the
    // user's name from it (LemonLDAP otherwise sends them only from /userinfo, which the element does not call).
    oidcRPMetaDataOptionsIDTokenForceClaims: 1,
    // ID tokens signed with the service's RSA key (the element accepts asymmetric signatures only).
    oidcRPMetaDataOptionsIDTokenSignAlg: 'RS256',
    // The JWT access tokens too, so that an API can check them against the JWKS.
    oidcRPMetaDataOptionsAccessTokenSignAlg: 'RS256',
  };
}

/**
 * The configuration: Debian's example lmConf-1.json (demo authentication, file sessions) with its
 * state folders moved into `dir`, and an OpenID Provider with its clients added.
 */
function configuration({ dir, issuer, clientId, consentClientId, redirectUris, postLogoutRedirectUris, pageOrigin }) {
  const conf = JSON.parse(readFileSync(DEBIAN_CONF, 'utf8').replaceAll(DEBIAN_STATE, dir));
  // Made at each start: no key is kept in the repository, and every run has its own.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const rp = 'closo';
  return {
    ...conf,
    // A new configuration number and date, as the manager would write them.
    cfgNum: 1,
    cfgDate: String(Math.floor(Date.now() / 1000)),
    // The portal's own URL: its links, its form's action and every OpenID endpoint are built from it.
    portal: `${issuer}/`,
    // Debian's example names example.com, which a browser on 127.0.0.1 would refuse as the cookie's Domain.
    domain: '127.0.0.1',
    // Turns the OpenID Provider on (the issuer module answering under /oauth2/).
    issuerDBOpenIDConnectActivation: 1,
    // The issuer in the discovery document and in every token: what the element is given as issuer=.
    oidcServiceMetaDataIssuer: issuer,
    // The ID and access tokens' signing key (RS256), and the kid the JWKS names it by.
    oidcServicePrivateKeySig: privateKey,
    oidcServicePublicKeySig: publicKey,
    oidcServiceKeyIdSig: randomUUID(),
    // The element uses the authorization code flow (it is LemonLDAP's default; said here because the flow depends on it).
    oidcServiceAllowAuthorizationCodeFlow: 1,
    // The token endpoint's answers (success and error) must be readable by the page, another origin:
    // LemonLDAP adds these headers to every JSON answer, and answers the OPTIONS preflight, when enabled.
    corsEnabled: 1,
    // Only the app's origin (LemonLDAP sends one fixed value, so one origin).
    corsAllow_Origin: pageOrigin,
    // The element's token requests carry no cookies.
    corsAllow_Credentials: 'false',
    // The methods and headers of the token, discovery and JWKS requests (and DPoP's header, should a test send one).
    corsAllow_Methods: 'GET,POST',
    corsAllow_Headers: '*',
    oidcRPMetaDataOptions: {
      [rp]: client({ clientId, redirectUris, postLogoutRedirectUris, bypassConsent: true }),
      ...(consentClientId ? { [CONSENT_RP]: client({ clientId: consentClientId, redirectUris, postLogoutRedirectUris, bypassConsent: false }) } : {}),
    },
    // The claims each client gets, from the demo user's attributes (claim: attribute).
    oidcRPMetaDataExportedVars: {
      [rp]: EXPORTED_CLAIMS,
      ...(consentClientId ? { [CONSENT_RP]: EXPORTED_CLAIMS } : {}),
    },
  };
}

/**
 * The PSGI app plackup runs: the portal, its static files (scripts, styles, translations) under
 * /static, and Debian's shared scripts and styles under /javascript, as Debian's nginx example
 * serves them. `dir` is the portal's temporary folder.
 */
const psgiApp = (dir) => `use strict;
use File::Path ();
use POSIX ();
use Plack::Builder;
use Plack::App::File;
use Lemonldap::NG::Portal::Main;
# Ends the portal when the test process that started it is gone, even killed: a child of its own
# waits for the end of stdin (a pipe from that process), then stops the server and removes its folder.
my $server = $$;
my $watcher = fork;
if (defined $watcher && $watcher == 0) {
    1 while <STDIN>;
    # Its stdout and stderr lead to that process too: a write there now would kill it (SIGPIPE).
    $SIG{PIPE} = 'IGNORE';
    open STDOUT, '>', '/dev/null';
    open STDERR, '>', '/dev/null';
    kill 'TERM', $server;
    sleep 1;
    chdir '/';
    File::Path::remove_tree('${dir}');
    POSIX::_exit(0);
}
my $portal = Lemonldap::NG::Portal::Main->run({});
builder {
    # One line per request on stderr, read by the tests as "the requests the provider saw".
    enable 'AccessLog', format => 'closo-access %m %U%q %s', logger => sub { print STDERR @_ };
    mount '/static' => Plack::App::File->new(root => '${PORTAL_STATIC}')->to_app;
    mount '/javascript' => Plack::App::File->new(root => '${DEBIAN_JAVASCRIPT}')->to_app;
    mount '/' => $portal;
};
`;

/**
 * Starts LemonLDAP::NG in a fresh temporary folder.
 * @param {object} options
 * @param {string} options.clientId the SPA client's client_id
 * @param {string} [options.consentClientId] a second client, the same but whose consent screen is not
 *   bypassed: a silent sign-in gets consent_required from it until the user has consented
 * @param {string[]} options.redirectUris the element's pages (its redirect URIs), all on one origin
 * @param {string[]} options.postLogoutRedirectUris where logout may return
 * @returns {Promise<{ issuer: string, user: { login: string, password: string },
 *   requests: { method: string, path: string, query: URLSearchParams, status: number }[], log(): string,
 *   logIn(page: import('playwright').Page): Promise<void>, stop(): Promise<void> }>}
 */
export async function startLemonLdap({ clientId, consentClientId, redirectUris, postLogoutRedirectUris }) {
  const missing = lemonldapMissingPackages();
  if (missing.length) {
    throw new Error(`LemonLDAP::NG needs Debian's packages ${missing.join(' ')}: apt-get install -y --no-install-recommends ${LEMONLDAP_PACKAGES.join(' ')}`);
  }
  const origins = [...new Set(redirectUris.map((uri) => new URL(uri).origin))];
  if (origins.length !== 1) throw new Error(`the redirect URIs must share one origin (LemonLDAP's CORS allows one); got ${origins.join(', ')}`);

  const dir = mkdtempSync(join(tmpdir(), 'closo-lemonldap-'));
  const child = { process: null };
  const removeFolder = () => rmSync(dir, { recursive: true, force: true });
  // Should the test process end without its after() hooks (an uncaught error, process.exit()), the
  // portal goes too; if it is killed, the portal sees its stdin close (psgiApp).
  const killOnExit = () => { try { process.kill(-child.process.pid, 'SIGKILL'); } catch {} removeFolder(); };
  process.once('exit', killOnExit);
  try {
    // The portal's state folders, which Debian's configuration puts under /var/lib/lemonldap-ng.
    for (const sub of ['conf', 'sessions/lock', 'psessions/lock', 'cache', 'notifications', 'captcha']) mkdirSync(join(dir, sub), { recursive: true });
    const ini = join(dir, 'lemonldap-ng.ini');
    writeFileSync(ini, readFileSync(DEBIAN_INI, 'utf8').replaceAll(DEBIAN_STATE, dir));
    writeFileSync(join(dir, 'app.psgi'), psgiApp(dir));

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const issuer = `http://127.0.0.1:${port}`;
      writeFileSync(join(dir, 'conf', 'lmConf-1.json'), JSON.stringify(configuration({ dir, issuer, clientId, consentClientId, redirectUris, postLogoutRedirectUris, pageOrigin: origins[0] }), null, 1));
      const started = await startPortal({ dir, ini, port, issuer, child });
      if (started.ok) return provider({ issuer, started, child, dir, killOnExit });
      // What is left of it (its watcher, or a portal that never answered) goes before anything else.
      try { process.kill(-child.process.pid, 'SIGKILL'); } catch {}
      // Another process took the port between freePort() and plackup's bind: try another one.
      if (!/Address already in use/i.test(started.log) || attempt === 3) throw new Error(`LemonLDAP::NG did not start: ${started.reason}\n${started.log}`);
    }
  } catch (error) {
    killOnExit();
    process.off('exit', killOnExit);
    throw error;
  }
}

/** Runs plackup in its own process group and waits until the discovery document answers. */
async function startPortal({ dir, ini, port, issuer, child }) {
  const portal = spawn('plackup', ['--host', '127.0.0.1', '--port', String(port), '--no-default-middleware', join(dir, 'app.psgi')], {
    cwd: dir,
    // Its own process group, so that stop() ends plackup and anything it started.
    detached: true,
    // stdin: the pipe whose end tells the portal that this process is gone (see psgiApp).
    stdio: ['pipe', 'pipe', 'pipe'],
    // The portal finds its ini through this variable instead of /etc/lemonldap-ng.
    env: { ...process.env, LLNG_DEFAULTCONFFILE: ini },
  });
  child.process = portal;
  const lines = [];
  const requests = [];
  let rest = '';
  const onData = (chunk) => {
    const text = rest + chunk;
    const parts = text.split('\n');
    rest = parts.pop();
    for (const line of parts) {
      const access = /^closo-access (\S+) (\S+) (\d+)/.exec(line);
      if (access) {
        const url = new URL(access[2], issuer);
        requests.push({ method: access[1], path: url.pathname, query: url.searchParams, status: Number(access[3]) });
      } else {
        lines.push(line);
        if (lines.length > 200) lines.shift();
      }
    }
  };
  portal.stdout.setEncoding('utf8').on('data', onData);
  portal.stderr.setEncoding('utf8').on('data', onData);
  const exited = new Promise((resolve) => portal.once('exit', (code, signal) => resolve(`plackup exited (${signal ?? code})`)));

  const deadline = Date.now() + START_TIMEOUT_MS;
  const discovery = `${issuer}/.well-known/openid-configuration`;
  for (;;) {
    const outcome = await Promise.race([
      exited,
      fetch(discovery, { signal: AbortSignal.timeout(5_000) })
        .then(async (response) => (response.ok && (await response.json()).issuer === issuer ? 'ready' : null), () => null),
    ]);
    if (outcome === 'ready') return { ok: true, lines, requests, exited };
    if (outcome) return { ok: false, reason: outcome, log: lines.join('\n') };
    if (Date.now() > deadline) return { ok: false, reason: `no discovery document at ${discovery} within ${START_TIMEOUT_MS / 1000} s`, log: lines.join('\n') };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The started provider as the tests use it. */
function provider({ issuer, started, child, dir, killOnExit }) {
  let stopped;
  return {
    issuer,
    user: DEMO_USER,
    /** Every request the portal answered: method, path, query, status (its access log). */
    requests: started.requests,
    /** The portal's own log lines (errors and notices), for a failing test's message. */
    log: () => started.lines.join('\n'),
    /** Fills and submits the portal's login form in `page`, which is on (or going to) its login page. */
    async logIn(page) {
      await page.waitForURL((url) => url.origin === issuer);
      const form = page.locator('form#lform');
      await form.locator('input[name="user"]').fill(DEMO_USER.login);
      await form.locator('input[name="password"]').fill(DEMO_USER.password);
      await form.getByRole('button', { name: 'Connect' }).click();
    },
    /** Ends the portal's process group and removes its folder; once, however often it is called. */
    stop() {
      stopped ??= (async () => {
        const { pid } = child.process;
        let timer;
        const late = new Promise((resolve) => { timer = setTimeout(() => resolve('late'), 5_000); });
        try { process.kill(-pid, 'SIGTERM'); } catch {}
        // plackup ends on SIGTERM at once; one that does not, and its watcher, are killed.
        if (await Promise.race([started.exited, late]) === 'late') {
          try { process.kill(-pid, 'SIGKILL'); } catch {}
        }
        clearTimeout(timer);
        // The watcher has its own end: it is in the group, and SIGTERM ends it as well.
        rmSync(dir, { recursive: true, force: true });
        process.off('exit', killOnExit);
      })();
      return stopped;
    },
  };
}
