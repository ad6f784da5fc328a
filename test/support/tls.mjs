// A certificate made at test time for the HTTPS stacks (test/e2e/sites.test.mjs): self-signed,
// for loopback names only, valid for a day. The browsers are told to accept it (Playwright's
// ignoreHTTPSErrors, the acceptInsecureCerts capability of WebDriver and WebDriver BiDi).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A key and certificate (PEM) for `names` (DNS names) and 127.0.0.1, made with openssl. */
export function makeCertificate(names) {
  const dir = mkdtempSync(join(tmpdir(), 'closo-tls-'));
  try {
    const san = [...names.map((name) => `DNS:${name}`), 'IP:127.0.0.1'].join(',');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=closo-login tests',
      '-addext', `subjectAltName=${san}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
