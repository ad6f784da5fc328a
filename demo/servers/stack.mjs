// The local stack: the demo server and the Auth0-like provider, wired to each other.
import { readdirSync } from 'node:fs';
import { DEFAULT_AUDIENCE, startProvider } from './provider.mjs';
import { startDemoServer } from './demo-server.mjs';

/**
 * @param {object} [options]
 * @param {number} [options.port] demo port (0: any free port)
 * @param {number} [options.providerPort]
 * @param {string} [options.host] 'localhost' or '127.0.0.1'
 * @param {Record<string,string>} [options.pages] extra fixture folders served by the demo server
 * @param {string} [options.providerHost] the provider's host name, when not `host` (another site, or
 *   another host of the same site: `app.closo.localhost` and `login.closo.localhost`)
 * @param {{ key: string, cert: string }} [options.tls] both servers on HTTPS with this certificate
 * @param {object} [options.provider] further startProvider options
 */
export async function startStack({ port = 0, providerPort = 0, host = '127.0.0.1', providerHost = host, pages = {}, tls, provider: providerOptions = {} } = {}) {
  const demo = await startDemoServer({ port, host, pages, tls });
  const provider = await startProvider({
    port: providerPort,
    host: providerHost,
    tls,
    // Auth0's "Allowed Callback URLs": the demo's /callback and every fixture page.
    redirectUris: [
      `${demo.origin}/callback`,
      `${demo.origin}/`,
      ...Object.entries(pages).flatMap(([prefix, page]) =>
        readdirSync(typeof page === 'string' ? page : page.dir).filter((name) => name.endsWith('.html')).map((name) => `${demo.origin}${prefix}${name}`)),
    ],
    postLogoutRedirectUris: [`${demo.origin}/`],
    ...providerOptions,
  });
  demo.setProvider({ issuer: provider.issuer, clientId: provider.clientId, audience: DEFAULT_AUDIENCE });
  return {
    demo,
    provider,
    async close() {
      await Promise.all([demo.close(), provider.close()]);
    },
  };
}
