import { expect } from '@esm-bundle/chai';
import { resolveConfig } from '../../../src/core/config.js';
import { passkeyCeremony, passkeyOf, passkeyTokens, WEBAUTHN_GRANT } from '../../../src/core/passkeys/webauthn.js';
import type { LoginCallOptions } from '../../../src/core/session-contract.js';
import { clearDiscoveryCache } from '../../../src/core/session/provider.js';
import { rejection, throwsFor } from '../../support/assertions.js';
import { AUDIENCE, CLIENT_ID, ISSUER, clearClosoStorage, fakeFetch, idTokenClaims, json, metadata, signJwt, type Answer } from '../../support/responses.js';
import { config, tenant } from '../../support/tenant.js';

const CHALLENGE = 'AAECAwQFBgcICQoLDA0ODw';
const REGISTER = `${ISSUER}passkey/register`;
const LOGIN_CHALLENGE = `${ISSUER}passkey/challenge`;

/** The tenant with its passkey API answering `challenge` at both endpoints, and its token endpoint `token`. */
function passkeyTenant(challenge: Answer, token?: Answer) {
  return fakeFetch({
    [`${ISSUER}.well-known/openid-configuration`]: () => json(metadata),
    [REGISTER]: challenge,
    [LOGIN_CHALLENGE]: challenge,
    ...(token ? { [metadata.token_endpoint]: token } : {}),
  });
}
const challengeAnswer = () => json({ auth_session: 'session-1', authn_params_public_key: { challenge: CHALLENGE, rpId: 'app.example.com', timeout: 60_000, userVerification: 'preferred' } });
const registerAnswer = () => json({
  auth_session: 'session-2',
  authn_params_public_key: { challenge: CHALLENGE, rp: { id: 'app.example.com', name: 'App' }, user: { id: 'dXNlci0x', name: 'a@b.c', displayName: 'A' }, pubKeyCredParams: [{ type: 'public-key', alg: -7 }] },
});

/** Replaces navigator.credentials[method] while `run` runs; what it was called with is returned. */
async function withCredentials(method: 'get' | 'create', answer: (options: CredentialRequestOptions & CredentialCreationOptions) => Promise<unknown>, run: () => Promise<unknown>) {
  const calls: Array<CredentialRequestOptions & CredentialCreationOptions> = [];
  Object.defineProperty(navigator.credentials, method, { configurable: true, value: (options: never) => { calls.push(options); return answer(options); } });
  try {
    return { outcome: await run().catch((error: unknown) => error), calls };
  } finally {
    delete (navigator.credentials as unknown as Record<string, unknown>)[method];
  }
}

describe('passkeyOf', () => {
  it('takes true (a sign-in) or options, and refuses what cannot be a passkey login with config_invalid', () => {
    expect(passkeyOf({ passkey: true }, config)).to.deep.equal({});
    expect(passkeyOf({ passkey: { signup: { email: 'a@b.c' } }, appState: 1, organization: 'acme' }, config)).to.deep.equal({ signup: { email: 'a@b.c' } });
    const calls = [
      { passkey: { signup: {} } },
      { passkey: { signup: { name: 'only a name' } } },
      { passkey: { mediation: 'silent' as never } },
      { passkey: { mediation: 'conditional' as const, signup: { email: 'a@b.c' } } },
      { passkey: true, popup: true },
      { passkey: true, returnTo: '/' },
      { passkey: true, subjectToken: 't', subjectTokenType: 'urn:x:y' },
    ];
    throwsFor((call: LoginCallOptions) => passkeyOf(call, config), calls, 'config_invalid');
    // A configuration that asks for a level of login the passkey grant cannot be held to.
    const stepUp = (params: Record<string, string>) => resolveConfig({ issuer: ISSUER, clientId: CLIENT_ID, authorizationParams: params }, new URL('https://app.example.com/'));
    throwsFor((params: Record<string, string>) => passkeyOf({ passkey: true }, stepUp(params)), [{ acr_values: 'urn:x' }, { max_age: '0' }], 'config_invalid');
    expect(passkeyOf({ passkey: true }, stepUp({ ui_locales: 'fr' }))).to.deep.equal({});
  });
});

describe('passkeyCeremony', () => {
  beforeEach(function () {
    if (typeof PublicKeyCredential !== 'function') this.skip();
    clearClosoStorage();
    clearDiscoveryCache();
  });

  it('asks the tenant for a challenge (client, realm, organization), then the browser, with the challenge decoded', async () => {
    const network = passkeyTenant(challengeAnswer);
    const { calls, outcome } = await withCredentials('get', () => Promise.reject(new DOMException('cancelled', 'NotAllowedError')),
      () => passkeyCeremony(config, { realm: 'Username-Password-Authentication' }, 'acme', network));
    const sent = network.seen.find((r) => r.url === LOGIN_CHALLENGE)!;
    expect(sent.method).to.equal('POST');
    expect(sent.headers.get('content-type')).to.equal('application/json');
    expect(JSON.parse(sent.text!)).to.deep.equal({ client_id: CLIENT_ID, realm: 'Username-Password-Authentication', organization: 'acme' });
    const publicKey = calls[0]!.publicKey as PublicKeyCredentialRequestOptions;
    expect([...new Uint8Array(publicKey.challenge as ArrayBuffer)]).to.deep.equal([...Array(16).keys()]);
    expect([publicKey.rpId, calls[0]!.mediation]).to.deep.equal(['app.example.com', undefined]);
    // The browser's NotAllowedError (a cancel, a timeout, or no passkey here: WebAuthn does not say which).
    expect((outcome as { code?: string }).code).to.equal('passkey_cancelled');
  });

  it('signs up with the profile in Auth0\'s names, and the user id decoded', async () => {
    const network = passkeyTenant(registerAnswer);
    const { calls, outcome } = await withCredentials('create', () => Promise.reject(new DOMException('exists', 'InvalidStateError')),
      () => passkeyCeremony(config, { signup: { email: 'a@b.c', phoneNumber: '+15550100', name: 'A', username: ' ' } }, null, network));
    const sent = network.seen.find((r) => r.url === REGISTER)!;
    expect(JSON.parse(sent.text!)).to.deep.equal({ client_id: CLIENT_ID, user_profile: { email: 'a@b.c', phone_number: '+15550100', name: 'A' } });
    const publicKey = calls[0]!.publicKey as PublicKeyCredentialCreationOptions;
    expect(new TextDecoder().decode(publicKey.user.id as ArrayBuffer)).to.equal('user-1');
    expect(publicKey.rp.id).to.equal('app.example.com');
    // A passkey for this account already on the device.
    expect((outcome as { code?: string }).code).to.equal('passkey_refused');
  });

  it('maps the tenant\'s refusals: no passkey API (404) is passkey_unsupported, others passkey_refused with what it said', async () => {
    const missing = await rejection(passkeyCeremony(config, {}, null, passkeyTenant(() => json({ error: 'not_found' }, 404))));
    expect(missing.code).to.equal('passkey_unsupported');
    expect(missing.message).to.contain('passkey API');
    clearDiscoveryCache();
    const exists = await rejection(passkeyCeremony(config, { signup: { email: 'a@b.c' } }, null, passkeyTenant(() => json({ error: 'invalid_request', error_description: 'The user already exists.' }, 400))));
    expect(exists.code).to.equal('passkey_refused');
    expect(exists.message).to.contain('The user already exists.');
  });

  it('a page whose origin the tenant\'s RP ID does not cover: passkey_unsupported, said so', async () => {
    const { outcome } = await withCredentials('get', () => Promise.reject(new DOMException('bad rp', 'SecurityError')), () => passkeyCeremony(config, {}, null, passkeyTenant(challengeAnswer)));
    expect((outcome as { code?: string; message?: string }).code).to.equal('passkey_unsupported');
    expect((outcome as { message: string }).message).to.contain('RP ID');
  });

  it('a tenant that refuses the challenge\'s CORS preflight (no passkey API there): passkey_unsupported, said so', async () => {
    const network = fakeFetch({ [`${ISSUER}.well-known/openid-configuration`]: () => json(metadata) });
    const error = await rejection(passkeyCeremony(config, {}, null, network));
    expect(error.code).to.equal('passkey_unsupported');
    expect(error.message).to.contain('Allowed Web Origins');
  });

  it('gives up a wait in autofill a little before its challenge runs out (null: ask again), and only then', async () => {
    if (!(await PublicKeyCredential.isConditionalMediationAvailable?.())) return;
    const shortLived = () => json({ auth_session: 'session-1', authn_params_public_key: { challenge: CHALLENGE, rpId: 'app.example.com', timeout: 10_000 } });
    // The long timers set meanwhile, recorded and run at once: what is asserted is when the ceremony is set to give
    // up, not a wall clock that a loaded machine runs late.
    const realSetTimeout = globalThis.setTimeout;
    const scheduled: number[] = [];
    globalThis.setTimeout = ((run: () => void, ms = 0) => {
      if (ms < 1_000) return realSetTimeout(run, ms);
      scheduled.push(ms);
      return realSetTimeout(run, 0);
    }) as typeof setTimeout;
    let result;
    try {
      result = await withCredentials('get', (options) => new Promise((_, reject) => {
        options.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      }), () => passkeyCeremony(config, { mediation: 'conditional' }, null, passkeyTenant(shortLived), new AbortController().signal));
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    expect(result.outcome).to.equal(null);
    expect(scheduled, 'one timer, at 90% of the challenge\'s 10 s').to.deep.equal([9_000]);
  });

  it('waits in autofill with mediation "conditional", until the page gives up (the abort passes through, no AuthError)', async () => {
    if (!(await PublicKeyCredential.isConditionalMediationAvailable?.())) return;
    const cancel = new AbortController();
    const { calls, outcome } = await withCredentials('get', (options) => new Promise((_, reject) => {
      options.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      cancel.abort();
    }), () => passkeyCeremony(config, { mediation: 'conditional' }, null, passkeyTenant(challengeAnswer), cancel.signal));
    expect(calls[0]!.mediation).to.equal('conditional');
    expect((outcome as Error).name).to.equal('AbortError');
  });
});

describe('passkeyTokens', () => {
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });
  const ceremony = { authSession: 'session-1', credential: { id: 'cred', rawId: 'cred', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'YQ', signature: 'c2ln' }, clientExtensionResults: {} } };

  async function answer(fields: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
    const { nonce: _, ...claims } = idTokenClaims('', extra);
    return json({
      access_token: await signJwt({ iss: ISSUER, aud: [AUDIENCE], sub: claims.sub }),
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'openid profile email offline_access',
      id_token: await signJwt(claims),
      refresh_token: 'rt-1',
      ...fields,
    });
  }

  it('sends the grant as JSON, the credential as an object, with the session\'s audience and scope; the answer is a session', async () => {
    const network = tenant(() => answer({}, { org_id: 'org_1' }));
    const tokens = await passkeyTokens(config, ceremony, { realm: 'db' }, 'org_1', network);
    const sent = network.seen.find((r) => r.url === metadata.token_endpoint)!;
    expect(sent.headers.get('content-type')).to.equal('application/json');
    expect(JSON.parse(sent.text!)).to.deep.equal({
      grant_type: WEBAUTHN_GRANT, auth_session: 'session-1', authn_response: ceremony.credential, scope: config.scope, audience: AUDIENCE, organization: 'org_1', realm: 'db', client_id: CLIENT_ID,
    });
    expect([tokens.refreshToken, tokens.audience, tokens.organization, tokens.claims.sub]).to.deep.equal(['rt-1', AUDIENCE, 'org_1', 'auth0|unit-user']);
  });

  it('leaves the form as it is for the vault, whose worker sends it as JSON', async () => {
    const vault = tenant(() => answer());
    await passkeyTokens(config, ceremony, {}, null, { fetch: tenant().fetch, tokenFetch: vault.fetch });
    const sent = vault.seen.find((r) => r.url === metadata.token_endpoint)!;
    expect(sent.body!.get('grant_type')).to.equal(WEBAUTHN_GRANT);
    expect(JSON.parse(sent.body!.get('authn_response')!)).to.deep.equal(ceremony.credential);
  });

  it('maps the tenant\'s refusal to passkey_refused, mfa_required to mfa_required, and checks the ID token as any', async () => {
    const refused = await rejection(passkeyTokens(config, ceremony, {}, null, tenant(() => json({ error: 'invalid_grant', error_description: 'unknown passkey' }, 400))));
    expect(refused.code).to.equal('passkey_refused');
    expect(refused.message).to.contain('unknown passkey');
    clearDiscoveryCache();
    const mfa = await rejection(passkeyTokens(config, ceremony, {}, null, tenant(() => json({ error: 'mfa_required', error_description: 'Multifactor authentication required', mfa_token: 'm' }, 403))));
    expect(mfa.code).to.equal('mfa_required');
    clearDiscoveryCache();
    const noIdToken = await rejection(passkeyTokens(config, ceremony, {}, null, tenant(() => answer({ id_token: undefined }))));
    expect(noIdToken.code).to.equal('passkey_refused');
    clearDiscoveryCache();
    const otherOrg = await rejection(passkeyTokens(config, ceremony, {}, 'org_1', tenant(() => answer({}, { org_id: 'org_2' }))));
    expect(otherOrg.code).to.equal('id_token_invalid');
  });
});
