import { expect } from '@esm-bundle/chai';
import { openTokenVault } from '../../../src/core/session/token-vault.js';
import type { VaultBinding } from '../../../src/core/token-worker-protocol.js';

const binding: VaultBinding = {
  tokenEndpoint: new URL('/echo-token', location.href).href,
  revocationEndpoint: new URL('/echo-revoke', location.href).href,
  clientId: 'spa-client',
};
const form = (params: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  body: new URLSearchParams(params),
});

describe('openTokenVault', () => {
  it('gives a fetch whose answers are Responses, with handles where refresh tokens were', async () => {
    const vault = (await openTokenVault(Promise.resolve(binding)))!;
    expect(vault).to.not.equal(null);
    const response = await vault.fetch(binding.tokenEndpoint, form({ grant_type: 'authorization_code', code: 'c', redirect_uri: 'https://app.example.com/', code_verifier: 'v', client_id: 'spa-client' }));
    expect(response).to.be.instanceOf(Response);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('application/json');
    const body = await response.json();
    expect(body.refresh_token).to.match(/^closo-rt\./);
    const refreshed = await (await vault.fetch(binding.tokenEndpoint, form({ grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: 'spa-client' }))).json();
    expect(refreshed.access_token).to.match(/^at-/);
    vault.forget(refreshed.refresh_token);
    const refused = await vault.fetch(binding.tokenEndpoint, form({ grant_type: 'refresh_token', refresh_token: refreshed.refresh_token, client_id: 'spa-client' }));
    expect([refused.status, (await refused.json()).error]).to.deep.equal([400, 'invalid_grant']);
  });

  it('rejects with the signal\'s reason when the caller gives up', async () => {
    const vault = (await openTokenVault(Promise.resolve(binding)))!;
    const controller = new AbortController();
    const pending = vault.fetch(binding.tokenEndpoint, { ...form({ grant_type: 'authorization_code', code: 'c', redirect_uri: 'https://a.example/', code_verifier: 'v', client_id: 'spa-client' }), signal: controller.signal });
    controller.abort(new DOMException('gave up', 'TimeoutError'));
    const error = await pending.then(() => null, (reason: unknown) => reason as DOMException);
    expect(error?.name).to.equal('TimeoutError');
  });

  it('fails with its binding (discovery), and falls back to the page with one warning where there is no Worker', async () => {
    const failed = await openTokenVault(Promise.reject(new Error('discovery failed'))).then(() => null, (error: Error) => error.message);
    expect(failed).to.equal('discovery failed');

    const worker = Object.getOwnPropertyDescriptor(window, 'Worker')!;
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (message: string) => { warnings.push(message); };
    Object.defineProperty(window, 'Worker', { value: undefined, configurable: true, writable: true });
    try {
      expect(await openTokenVault(Promise.resolve(binding))).to.equal(null);
    } finally {
      Object.defineProperty(window, 'Worker', worker);
      console.warn = warn;
    }
    expect(warnings).to.deep.equal(['closo-login: refresh tokens are kept in the page, not in a worker: this browser has no Worker. See docs/page-and-api.md (worker-src).']);
  });

  it('hears a worker that fails to load while discovery is still under way, and falls back to the page', async () => {
    const worker = Object.getOwnPropertyDescriptor(window, 'Worker')!;
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (message: string) => { warnings.push(message); };
    // A worker whose script the page's policy refuses: the browser reports it with an error event, soon after the start.
    class RefusedWorker extends EventTarget {
      constructor() {
        super();
        setTimeout(() => this.dispatchEvent(new Event('error', { cancelable: true })));
      }
      postMessage(): void {}
      terminate(): void {}
    }
    Object.defineProperty(window, 'Worker', { value: RefusedWorker, configurable: true, writable: true });
    try {
      const slowDiscovery = new Promise<VaultBinding>((resolve) => { setTimeout(() => resolve(binding), 100); });
      expect(await openTokenVault(slowDiscovery)).to.equal(null);
    } finally {
      Object.defineProperty(window, 'Worker', worker);
      console.warn = warn;
    }
    expect(warnings).to.deep.equal(['closo-login: refresh tokens are kept in the page, not in a worker: the worker script could not be loaded (worker-src, script-src or a network error). See docs/page-and-api.md (worker-src).']);
  });
});
