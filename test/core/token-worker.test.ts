import { expect } from '@esm-bundle/chai';

// The vault worker itself, started as the session starts it, against echo endpoints of the test
// server (web-test-runner.config.mjs): /echo-token issues refresh tokens `rt-secret-<n>`.
const TOKEN = new URL('/echo-token', location.href).href;
const REVOKE = new URL('/echo-revoke', location.href).href;
const CLIENT = 'spa-client';

interface Answer { status?: number; headers?: [string, string][]; body?: string; failed?: string }

function startVault(binding: unknown = { tokenEndpoint: TOKEN, revocationEndpoint: REVOKE, clientId: CLIENT }) {
  const worker = new Worker('/src/core/token-worker.js', { type: 'module' });
  let id = 0;
  const ready = new Promise<void>((resolve) => {
    worker.addEventListener('message', function listen(event) {
      if (event.data?.ready) { worker.removeEventListener('message', listen); resolve(); }
    });
  });
  worker.postMessage({ binding });
  /** Sends a request; `params` as a record, or as form text (which may repeat a parameter). */
  const ask = (url: string, params: Record<string, string> | string, headers: Record<string, string> = {}) => new Promise<Answer & { json: Record<string, any> }>((resolve) => {
    const mine = ++id;
    worker.addEventListener('message', function listen(event) {
      if (event.data?.id !== mine) return;
      worker.removeEventListener('message', listen);
      resolve({ ...event.data, json: event.data.body ? JSON.parse(event.data.body) : {} });
    });
    worker.postMessage({ id: mine, url, headers, body: new URLSearchParams(params).toString() });
  });
  return { worker, ready, ask };
}

const codeGrant = { grant_type: 'authorization_code', code: 'c', redirect_uri: 'https://app.example.com/', code_verifier: 'v', client_id: CLIENT };
const refreshGrant = (handle: string, extra: Record<string, string> = {}) => ({ grant_type: 'refresh_token', refresh_token: handle, client_id: CLIENT, ...extra });

describe('token-worker', () => {
  let vault: ReturnType<typeof startVault>;
  afterEach(() => vault?.worker.terminate());

  it('hands out a handle for the refresh token, sends the token itself with the handle, and rotates', async () => {
    vault = startVault();
    await vault.ready;
    const login = await vault.ask(TOKEN, codeGrant, { 'content-type': 'application/x-www-form-urlencoded', DPoP: 'proof', 'x-extra': 'no' });
    expect(login.status).to.equal(200);
    const first = login.json['refresh_token'] as string;
    expect(first).to.match(/^closo-rt\.[0-9a-f-]{36}$/);
    expect(login.body).not.to.include('rt-secret');
    // Only accept, content-type and DPoP travel; the answer's DPoP-Nonce comes back.
    expect(login.json['headers']).to.deep.equal({ dpop: 'proof', cookie: '', extra: '' });
    expect(login.headers).to.deep.include(['dpop-nonce', 'nonce-1']);

    const renewed = await vault.ask(TOKEN, refreshGrant(first, { audience: 'https://api2' }));
    expect(renewed.json['received']['refresh_token']).to.match(/^rt-secret-\d+$/);
    expect(renewed.json['received']['audience']).to.equal('https://api2');
    const second = renewed.json['refresh_token'] as string;
    expect(second).to.match(/^closo-rt\./).and.not.equal(first);
    // Rotation: the spent handle is gone.
    const reused = await vault.ask(TOKEN, refreshGrant(first));
    expect([reused.status, reused.json['error']]).to.deep.equal([400, 'invalid_grant']);
  });

  it('sends Auth0\'s passkey grant as JSON, the credential as an object, and keeps its refresh token', async () => {
    vault = startVault();
    await vault.ready;
    const credential = { id: 'cred-1', type: 'public-key', response: { clientDataJSON: 'e30', signature: 'c2ln' } };
    const grant = { grant_type: 'urn:okta:params:oauth:grant-type:webauthn', auth_session: 's-1', authn_response: JSON.stringify(credential), client_id: CLIENT, scope: 'openid offline_access', audience: 'https://api' };
    const login = await vault.ask(TOKEN, grant, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(login.status).to.equal(200);
    expect(login.json['contentType']).to.equal('application/json');
    expect(login.json['received']).to.deep.equal({ ...grant, authn_response: credential });
    expect(login.json['refresh_token']).to.match(/^closo-rt\./);
    // Its parameters, no others.
    const refused = await vault.ask(TOKEN, { ...grant, redirect_uri: 'https://evil.example/' });
    expect([refused.status, refused.json['error']]).to.deep.equal([400, 'invalid_request']);
  });

  it('sends only to its endpoints, for its client, with the parameters of the grant', async () => {
    vault = startVault();
    await vault.ready;
    const handle = (await vault.ask(TOKEN, codeGrant)).json['refresh_token'] as string;
    // Bound once: a second binding is ignored.
    vault.worker.postMessage({ binding: { tokenEndpoint: 'https://evil.example/token', revocationEndpoint: null, clientId: 'evil' } });
    const refusals = await Promise.all([
      vault.ask('https://evil.example/token', refreshGrant(handle)),
      vault.ask(TOKEN, { ...refreshGrant(handle), client_id: 'evil' }),
      vault.ask(TOKEN, refreshGrant(handle, { redirect_uri: 'https://evil.example/' })),
      vault.ask(TOKEN, { grant_type: 'client_credentials', client_id: CLIENT }),
      vault.ask(`${TOKEN}?x=1`, refreshGrant(handle)),
    ]);
    expect(refusals.map((answer) => [answer.status, answer.json['error']])).to.deep.equal([
      [400, 'invalid_request'], [400, 'invalid_client'], [400, 'invalid_request'], [400, 'invalid_request'], [400, 'invalid_request'],
    ]);
    // The handle was never sent, so it still works.
    expect((await vault.ask(TOKEN, refreshGrant(handle))).status).to.equal(200);
  });

  it('sends a token exchange (RFC 8693) with its parameters and seals the refresh token it brings; refuses others in it', async () => {
    vault = startVault();
    await vault.ready;
    const exchange = {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: 'legacy-jwt', subject_token_type: 'urn:acme:legacy-token',
      actor_token: 'agent-jwt', actor_token_type: 'urn:acme:legacy-token', requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      client_id: CLIENT, scope: 'openid offline_access', audience: 'https://api2', organization: 'org_1',
    };
    const answer = await vault.ask(TOKEN, exchange);
    expect(answer.status).to.equal(200);
    expect(answer.json['received']).to.deep.equal(exchange);
    expect(answer.json['refresh_token']).to.match(/^closo-rt\./);
    expect(answer.body).not.to.include('rt-secret');
    const smuggled = await vault.ask(TOKEN, { ...exchange, code_verifier: 'v' });
    expect([smuggled.status, smuggled.json['error']]).to.deep.equal([400, 'invalid_request']);
  });

  it('refuses a request that repeats a parameter (RFC 6749 §3.2), and sends nothing', async () => {
    vault = startVault();
    await vault.ready;
    const handle = (await vault.ask(TOKEN, codeGrant)).json['refresh_token'] as string;
    const form = (pairs: [string, string][]) => new URLSearchParams(pairs).toString();
    const refusals = await Promise.all([
      // the handle twice: the worker would put the token in once, the other copy going as it came
      vault.ask(TOKEN, form([['grant_type', 'refresh_token'], ['refresh_token', handle], ['refresh_token', handle], ['client_id', CLIENT]])),
      // two grant types: the worker checks one, the endpoint may read the other
      vault.ask(TOKEN, form([['grant_type', 'refresh_token'], ['grant_type', 'authorization_code'], ['refresh_token', handle], ['client_id', CLIENT]])),
      vault.ask(TOKEN, form([['grant_type', 'refresh_token'], ['refresh_token', handle], ['client_id', CLIENT], ['scope', 'a'], ['scope', 'b']])),
    ]);
    for (const refusal of refusals) {
      expect([refusal.status, refusal.json['error'], refusal.json['error_description']]).to.deep.equal([400, 'invalid_request', 'A parameter is repeated.']);
      expect(refusal.json).not.to.have.property('received');
    }
    // Nothing was sent: the handle is unspent.
    expect((await vault.ask(TOKEN, refreshGrant(handle))).status).to.equal(200);
  });

  it('sends one request per refresh token at a time: a second use while the first is under way is refused unsent', async () => {
    vault = startVault();
    await vault.ready;
    const handle = (await vault.ask(TOKEN, codeGrant)).json['refresh_token'] as string;
    const [first, second] = await Promise.all([vault.ask(TOKEN, refreshGrant(handle)), vault.ask(TOKEN, refreshGrant(handle))]);
    expect(first.status).to.equal(200);
    expect(first.json['received']['refresh_token']).to.match(/^rt-secret-\d+$/);
    expect([second.status, second.json['error']]).to.deep.equal([400, 'temporarily_unavailable']);
    expect(second.json).not.to.have.property('received');
    // The first use rotated the token: the old handle is spent, the new one works.
    expect((await vault.ask(TOKEN, refreshGrant(handle))).json['error']).to.equal('invalid_grant');
    expect((await vault.ask(TOKEN, refreshGrant(first.json['refresh_token'] as string))).status).to.equal(200);
  });

  it('revokes with the refresh token and forgets it; forget drops a handle without a request', async () => {
    vault = startVault();
    await vault.ready;
    const first = (await vault.ask(TOKEN, codeGrant)).json['refresh_token'] as string;
    const revoked = await vault.ask(REVOKE, { token: first, token_type_hint: 'refresh_token', client_id: CLIENT });
    expect(revoked.json['received']['token']).to.match(/^rt-secret-\d+$/);
    expect((await vault.ask(TOKEN, refreshGrant(first))).json['error']).to.equal('invalid_grant');

    const second = (await vault.ask(TOKEN, codeGrant)).json['refresh_token'] as string;
    vault.worker.postMessage({ forget: second });
    expect((await vault.ask(TOKEN, refreshGrant(second))).json['error']).to.equal('invalid_grant');
  });

  it('does nothing before it is bound, and refuses a binding without endpoint or client', async () => {
    vault = startVault({ tokenEndpoint: TOKEN });
    const answered = await Promise.race([
      vault.ask(TOKEN, codeGrant).then(() => 'answered'),
      new Promise((resolve) => { setTimeout(() => resolve('silent'), 300); }),
    ]);
    expect(answered).to.equal('silent');
  });
});
