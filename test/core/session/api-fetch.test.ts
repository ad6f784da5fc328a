import { expect } from '@esm-bundle/chai';
import { DPoP, generateKeyPair, type DPoPHandle } from 'oauth4webapi';
import { fetchWithToken } from '../../../src/core/session/api-fetch.js';
import { AuthError } from '../../../src/core/errors.js';
import { sha256Base64url } from '../../support/responses.js';

const API = 'https://api.example.com/orders';

interface SentRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | null;
  readonly credentials: RequestCredentials;
}

/** Replaces window.fetch (what the page's API calls go through) with an API answering `answer`. */
function api(answer: (request: SentRequest, index: number) => Response) {
  const sent: SentRequest[] = [];
  const original = window.fetch;
  window.fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const request = new Request(input, init);
    const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.text();
    const seen = { url: request.url, method: request.method, headers: request.headers, body, credentials: request.credentials };
    sent.push(seen);
    return answer(seen, sent.length - 1);
  }) as typeof fetch;
  return { sent, restore: () => { window.fetch = original; } };
}

const b64urlDecode = (part: string) => Uint8Array.from(atob(part.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
const decodePart = (part: string) => JSON.parse(new TextDecoder().decode(b64urlDecode(part)));

/** The DPoP proof's header and claims, after checking its signature with the key in its header. */
async function readProof(proof: string | null) {
  expect(proof, 'a DPoP header').to.be.a('string');
  const [header, payload, signature] = proof!.split('.') as [string, string, string];
  const parsed = { header: decodePart(header), claims: decodePart(payload) };
  const key = await crypto.subtle.importKey('jwk', parsed.header.jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  const valid = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, b64urlDecode(signature), new TextEncoder().encode(`${header}.${payload}`));
  expect(valid, 'the proof is signed by the key it names').to.equal(true);
  return parsed;
}

const nonceChallenge = (nonce: string) => new Response(JSON.stringify({ error: 'use_dpop_nonce' }), {
  status: 401,
  headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"', 'dpop-nonce': nonce },
});

describe('fetchWithToken', () => {
  let server: ReturnType<typeof api> | undefined;
  afterEach(() => {
    server?.restore();
    server = undefined;
  });

  describe('with a Bearer token', () => {
    const bearer = async () => ({ accessToken: 'at-1' });

    it('sends Authorization: Bearer, keeping the caller\'s method, headers and body', async () => {
      server = api(() => new Response('ok'));
      const response = await fetchWithToken(API, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', authorization: 'Basic forged', 'x-trace': '7' }, body: '{"n":1}' }, bearer);
      expect(await response.text()).to.equal('ok');
      expect(server.sent).to.have.length(1);
      const [request] = server.sent;
      expect(request!.url).to.equal(API);
      expect(request!.method).to.equal('POST');
      expect(request!.headers.get('authorization')).to.equal('Bearer at-1');
      expect(request!.headers.get('x-trace')).to.equal('7');
      expect(request!.headers.get('content-type')).to.equal('application/json');
      expect(request!.headers.has('dpop')).to.equal(false);
      expect(request!.body).to.equal('{"n":1}');
      expect(request!.credentials, 'the other options of init apply').to.equal('include');
    });

    it('returns refusals and server errors as the Response, without retrying', async () => {
      for (const [status, headers] of [[401, { 'www-authenticate': 'Bearer error="invalid_token"' }], [403, {}], [500, {}]] as const) {
        server = api(() => new Response('no', { status, headers }));
        const response = await fetchWithToken(API, {}, bearer);
        expect(response.status).to.equal(status);
        expect(server.sent, String(status)).to.have.length(1);
        server.restore();
      }
    });

    it('rejects with step_up_required and what the API asks for when it wants a stronger login (RFC 9470)', async () => {
      server = api(() => new Response('{}', { status: 401, headers: {
        'www-authenticate': 'Bearer error="insufficient_user_authentication", error_description="A stronger login is required", acr_values="urn:closo:loa:mfa", max_age=300',
      } }));
      let caught: AuthError | undefined;
      try {
        await fetchWithToken(API, {}, bearer);
      } catch (error) {
        caught = error as AuthError;
      }
      expect(caught).to.be.instanceOf(AuthError);
      expect(caught!.code).to.equal('step_up_required');
      expect(caught!.stepUp).to.deep.equal({ acrValues: 'urn:closo:loa:mfa', maxAge: 300 });
      expect(server.sent, 'asked once').to.have.length(1);
    });

    it('lets a network failure through', async () => {
      server = api(() => { throw new TypeError('Failed to fetch'); });
      let caught: unknown;
      try {
        await fetchWithToken(API, {}, bearer);
      } catch (error) {
        caught = error;
      }
      expect((caught as Error).message).to.equal('Failed to fetch');
    });
  });

  describe('with a DPoP-bound token', () => {
    let dpop: DPoPHandle;
    beforeEach(async () => { dpop = DPoP({}, await generateKeyPair('ES256')); });
    const bound = () => async () => ({ accessToken: 'at-dpop', dpop });

    it('sends Authorization: DPoP and a proof for this method and URL, bound to the token and the session key', async () => {
      server = api(() => new Response('ok'));
      const response = await fetchWithToken(`${API}?page=2#top`, { method: 'PATCH', headers: { 'x-trace': '7' }, body: 'x' }, bound());
      expect(response.status).to.equal(200);
      expect(server.sent).to.have.length(1);
      const [request] = server.sent;
      expect(request!.method).to.equal('PATCH');
      expect(request!.url.split('#')[0]).to.equal(`${API}?page=2`);
      expect(request!.headers.get('authorization')).to.equal('DPoP at-dpop');
      expect(request!.headers.get('x-trace')).to.equal('7');
      expect(request!.body).to.equal('x');
      const { header, claims } = await readProof(request!.headers.get('dpop'));
      expect(header).to.include({ typ: 'dpop+jwt', alg: 'ES256' });
      expect(header.jwk).not.to.have.property('d');
      expect(claims.htm).to.equal('PATCH');
      expect(claims.htu).to.equal(API); // without query and fragment (RFC 9449 §4.2)
      expect(claims.ath).to.equal(await sha256Base64url('at-dpop'));
      expect(claims.nonce).to.equal(undefined);
      expect(Math.abs(claims.iat - Date.now() / 1000)).to.be.below(5);
    });

    it('makes a fresh proof for each request', async () => {
      server = api(() => new Response('ok'));
      await fetchWithToken(API, {}, bound());
      await fetchWithToken(`${API}/7`, { method: 'DELETE' }, bound());
      const [a, b] = await Promise.all(server.sent.map((r) => readProof(r.headers.get('dpop'))));
      expect(a!.claims.jti).not.to.equal(b!.claims.jti);
      expect([a!.claims.htm, a!.claims.htu]).to.deep.equal(['GET', API]);
      expect([b!.claims.htm, b!.claims.htu]).to.deep.equal(['DELETE', `${API}/7`]);
    });

    it('answers a use_dpop_nonce challenge once, with the nonce and the same body', async () => {
      server = api((_request, index) => (index === 0 ? nonceChallenge('n-1') : new Response('ok')));
      const body = JSON.stringify({ item: 'book', quantity: 2 });
      const response = await fetchWithToken(new Request(API, { method: 'POST', body, headers: { 'content-type': 'application/json' } }), {}, bound());
      expect(response.status).to.equal(200);
      expect(await response.text()).to.equal('ok');
      expect(server.sent).to.have.length(2);
      const [first, retry] = server.sent;
      expect(retry!.body).to.equal(body);
      expect(first!.body).to.equal(body);
      expect(retry!.method).to.equal('POST');
      expect(retry!.headers.get('content-type')).to.equal('application/json');
      const proofs = await Promise.all([readProof(first!.headers.get('dpop')), readProof(retry!.headers.get('dpop'))]);
      expect(proofs[0].claims.nonce).to.equal(undefined);
      expect(proofs[1].claims.nonce).to.equal('n-1');
      expect(proofs[1].claims.jti).not.to.equal(proofs[0].claims.jti);
    });

    it('answers the challenge only once: a second one is returned as the Response', async () => {
      server = api((_request, index) => nonceChallenge(`n-${index}`));
      const response = await fetchWithToken(API, {}, bound());
      expect(response.status).to.equal(401);
      expect(response.headers.get('dpop-nonce')).to.equal('n-1');
      expect(server.sent).to.have.length(2);
    });

    it('returns other answers as the Response, without retrying: 401 without a nonce challenge, 500', async () => {
      for (const make of [
        () => new Response('no', { status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token", algs="ES256"' } }),
        () => new Response('no', { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"', 'dpop-nonce': 'n-x' } }),
        () => new Response('no', { status: 401 }),
        () => new Response('boom', { status: 500 }),
      ]) {
        server = api(make);
        const expected = make();
        const response = await fetchWithToken(API, {}, bound());
        expect(response.status).to.equal(expected.status);
        expect(await response.text()).to.equal(await expected.text());
        expect(server.sent, expected.headers.get('www-authenticate') ?? String(expected.status)).to.have.length(1);
        server.restore();
      }
    });

    it('refuses an Authorization header of the caller\'s own, sending nothing', async () => {
      server = api(() => new Response('ok'));
      let caught: unknown;
      try {
        await fetchWithToken(API, { headers: { authorization: 'Bearer stolen' } }, bound());
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(TypeError);
      expect(server.sent).to.have.length(0);
    });

    it('sends a DPoP-bound token over plain http only to a loopback API', async () => {
      server = api(() => new Response('ok'));
      expect((await fetchWithToken('http://localhost:8787/orders', {}, bound())).status).to.equal(200);
      let caught: unknown;
      try {
        await fetchWithToken('http://api.example.com/orders', {}, bound());
      } catch (error) {
        caught = error;
      }
      expect(caught, 'refused before sending').to.be.instanceOf(Error);
      expect(server.sent.map((r) => r.url)).to.deep.equal(['http://localhost:8787/orders']);
    });
  });
});
