/**
 * Sign-in and sign-up with a passkey, with no page of the provider: Auth0's native passkey API.
 * The provider's challenge (POST /passkey/challenge, or /passkey/register for a new user), the
 * browser's WebAuthn ceremony, then a token request with the grant
 * `urn:okta:params:oauth:grant-type:webauthn`, whose answer becomes a session checked as every
 * token answer is (token-answer.ts). The provider checks the credential (origin, RP ID,
 * challenge, signature, counter); its `auth_session` is single use. Loaded only when a passkey is
 * used: session/passkeys.ts imports passkey-login.ts with import(), the only way in (test/layout.test.mjs).
 */
import type { LoginConfig } from '../config.js';
import { AuthError } from '../errors.js';
import type { LoginCallOptions, NetworkOptions, PasskeyOptions, TokenSet } from '../session-contract.js';
import { grantLogin } from '../session/grant-login.js';
import { discover, requestOptions, sender } from '../session/provider.js';
import { refusePageOptions } from '../session/redirect-login.js';

export const WEBAUTHN_GRANT = 'urn:okta:params:oauth:grant-type:webauthn';

/** A finished ceremony: the provider's auth_session and the browser's credential, as Auth0 takes it. */
export interface Ceremony {
  readonly authSession: string;
  readonly credential: Record<string, unknown>;
}

/** The `passkey` option of a login() call, checked, with the configuration it runs with. */
export function passkeyOf(call: LoginCallOptions, config: LoginConfig): PasskeyOptions {
  const options = call.passkey === true ? {} : call.passkey;
  if (!options || typeof options !== 'object') throw new AuthError('config_invalid', 'passkey must be true or an object such as { signup: { email } }.');
  // No provider page opens, and no other token is exchanged.
  refusePageOptions(call, 'passkey', ['subjectToken', 'subjectTokenType']);
  // The passkey grant takes no acr_values or max_age: a login that must meet them cannot be a passkey login here.
  const level = ['acr_values', 'max_age'].filter((name) => config.authorizationParams[name] !== undefined);
  if (level.length) throw new AuthError('config_invalid', `authorization-params asks for ${level.join(' and ')}, which a passkey login cannot be held to: use Log in.`);
  const signup = options.signup;
  if (signup !== undefined && !['email', 'username', 'phoneNumber'].some((name) => typeof signup?.[name as 'email'] === 'string' && signup[name as 'email']!.trim())) {
    throw new AuthError('config_invalid', 'passkey.signup needs an email, username or phoneNumber to sign up with.');
  }
  if (options.mediation !== undefined && options.mediation !== 'conditional') throw new AuthError('config_invalid', `passkey.mediation can only be "conditional"; got ${JSON.stringify(options.mediation)}.`);
  if (signup && options.mediation) throw new AuthError('config_invalid', 'A sign-up cannot wait in autofill (mediation "conditional").');
  return options;
}

/**
 * The provider's challenge, then the browser's passkey prompt (or, with mediation "conditional",
 * the passkeys in the autofill list of a field with autocomplete="username webauthn", until the
 * user picks one or `signal` aborts; null when the challenge ran out first: ask again).
 */
export async function passkeyCeremony(config: LoginConfig, options: PasskeyOptions, organization: string | null, network: NetworkOptions, signal?: AbortSignal): Promise<Ceremony | null> {
  const credentials = typeof PublicKeyCredential === 'function' ? navigator.credentials : undefined;
  if (!credentials) throw new AuthError('passkey_unsupported', 'This browser cannot use passkeys (no WebAuthn here; it needs https or localhost).');
  if (options.mediation && !(await PublicKeyCredential.isConditionalMediationAvailable?.())) {
    throw new AuthError('passkey_unsupported', 'This browser does not offer passkeys in autofill (conditional mediation).');
  }
  const signup = options.signup;
  const { authSession, publicKey } = await challenge(config, signup ? 'register' : 'challenge', {
    client_id: config.clientId,
    ...(options.realm ? { realm: options.realm } : {}),
    ...(organization ? { organization } : {}),
    ...(signup ? { user_profile: profileOf(signup) } : {}),
  }, network, signal);
  // A wait in autofill may outlast its challenge, which the provider keeps for about its timeout.
  const expired = new AbortController();
  const expiry = options.mediation ? setTimeout(() => expired.abort(), challengeLife(publicKey['timeout'])) : undefined;
  const given = { signal: signal ? anySignal(signal, expired.signal) : expired.signal };
  let credential: Credential | null;
  try {
    credential = signup
      ? await credentials.create({ publicKey: creationOptions(publicKey), ...given })
      : await credentials.get({ publicKey: requestOptionsOf(publicKey), ...given, ...(options.mediation ? { mediation: options.mediation } : {}) });
  } catch (error) {
    if (expired.signal.aborted && !signal?.aborted) return null;
    throw ceremonyError(error, signal);
  } finally {
    clearTimeout(expiry);
  }
  if (!(credential instanceof PublicKeyCredential)) throw new AuthError('passkey_cancelled', 'No passkey was chosen.');
  return { authSession, credential: serialize(credential) };
}

/** The token request of a finished ceremony: the login's tokens, for the session's audience and scope. */
export function passkeyTokens(config: LoginConfig, ceremony: Ceremony, options: PasskeyOptions, organization: string | null, network: NetworkOptions): Promise<TokenSet> {
  const params = {
    auth_session: ceremony.authSession,
    authn_response: JSON.stringify(ceremony.credential),
    ...(options.realm ? { realm: options.realm } : {}),
  };
  // Auth0 takes this grant as JSON only, authn_response an object: the vault's worker sends it so
  // (../token-worker.ts); without the vault, the page's fetch does.
  const sending = network.tokenFetch ? network : { ...network, fetch: jsonGrant(network.fetch ?? ((input, init) => fetch(input, init))) };
  return grantLogin(config, WEBAUTHN_GRANT, params, organization, network, { step: 'passkey_refused', sending });
}

/** A fetch that sends oauth4webapi's form body as JSON, with authn_response as an object. */
const jsonGrant = (send: typeof fetch): typeof fetch => (input, init = {}) => {
  const body: Record<string, unknown> = Object.fromEntries(new URLSearchParams(String(init.body)));
  body['authn_response'] = JSON.parse(String(body['authn_response']));
  const headers = new Headers(init.headers);
  headers.set('content-type', 'application/json');
  return send(input, { ...init, headers, body: JSON.stringify(body) });
};

/** Milliseconds a wait in autofill keeps a challenge: a little less than its `timeout`, from 10 s to 5 minutes. */
const challengeLife = (timeout: unknown) => Math.min(Math.max(Number(timeout) || 300_000, 10_000), 300_000) * 0.9;

/** POST /passkey/register or /passkey/challenge: the auth_session and WebAuthn options (JSON, binary as base64url). */
async function challenge(config: LoginConfig, endpoint: 'register' | 'challenge', body: Record<string, unknown>, network: NetworkOptions, cancel?: AbortSignal) {
  const as = await discover(config, network);
  const url = new URL(`passkey/${endpoint}`, as.issuer.endsWith('/') ? as.issuer : `${as.issuer}/`);
  const { signal } = requestOptions(config, network);
  let response: Response;
  try {
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'omit' as const };
    response = await sender(network)(url, { ...init, signal: cancel ? anySignal(signal, cancel) : signal });
  } catch (error) {
    // The provider answers discovery, but not this: a CORS preflight it refuses has no route behind it.
    if ((error as AuthError).code !== 'network_error') throw error;
    throw new AuthError('passkey_unsupported', `The provider did not answer ${url} (no passkey API there, or this page's origin is not among its Allowed Web Origins).`, { cause: error });
  }
  const answer = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (response.status === 404) throw new AuthError('passkey_unsupported', `The provider has no passkey API at ${url} (for Auth0: enable passkeys on the connection, and the Passkey grant on the application).`);
  if (!response.ok || typeof answer?.['auth_session'] !== 'string' || !answer['authn_params_public_key'] || typeof answer['authn_params_public_key'] !== 'object') {
    const said = answer?.['error_description'] ?? answer?.['message'] ?? answer?.['error'];
    throw new AuthError('passkey_refused', `The provider refused the passkey ${endpoint === 'register' ? 'sign-up' : 'sign-in'} (${response.status}${typeof said === 'string' ? `: ${said}` : ''}).`);
  }
  return { authSession: answer['auth_session'], publicKey: answer['authn_params_public_key'] as Record<string, unknown> & { challenge: string } };
}

function profileOf(signup: NonNullable<PasskeyOptions['signup']>): Record<string, string> {
  const names = { email: 'email', username: 'username', phoneNumber: 'phone_number', name: 'name' } as const;
  const profile: Record<string, string> = {};
  for (const [option, field] of Object.entries(names)) {
    const value = signup[option as keyof typeof names];
    if (typeof value === 'string' && value.trim()) profile[field] = value.trim();
  }
  return profile;
}

type Json = Record<string, unknown> & { challenge: string };

function creationOptions(json: Json): PublicKeyCredentialCreationOptions {
  const user = json['user'] as { id: string };
  return { ...json, challenge: bytes(json.challenge), user: { ...user, id: bytes(user.id) }, excludeCredentials: descriptors(json['excludeCredentials']) } as unknown as PublicKeyCredentialCreationOptions;
}

function requestOptionsOf(json: Json): PublicKeyCredentialRequestOptions {
  return { ...json, challenge: bytes(json.challenge), allowCredentials: descriptors(json['allowCredentials']) } as unknown as PublicKeyCredentialRequestOptions;
}

const descriptors = (list: unknown) => (Array.isArray(list) ? list.map((entry: { id: string }) => ({ ...entry, id: bytes(entry.id) })) : []);

/** The credential as Auth0 takes it: WebAuthn's JSON form (binary as base64url), without what Auth0 does not read. */
function serialize(credential: PublicKeyCredential): Record<string, unknown> {
  const response = credential.response as AuthenticatorAttestationResponse & AuthenticatorAssertionResponse;
  const fields = response instanceof AuthenticatorAttestationResponse ? ['clientDataJSON', 'attestationObject'] : ['clientDataJSON', 'authenticatorData', 'signature', 'userHandle'];
  return {
    id: credential.id,
    rawId: base64url(credential.rawId),
    type: credential.type,
    ...(credential.authenticatorAttachment ? { authenticatorAttachment: credential.authenticatorAttachment } : {}),
    response: Object.fromEntries(fields.flatMap((name) => {
      const value = response[name as keyof typeof response] as ArrayBuffer | null;
      return value ? [[name, base64url(value)]] : [];
    })),
    clientExtensionResults: credential.getClientExtensionResults(),
  };
}

/** What the browser's refusal means (WebAuthn §5.1.3, §5.1.4: NotAllowedError for a cancel or a timeout). */
function ceremonyError(error: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return error; // given up by the page (another login started): not the user's doing
  const name = (error as Error | undefined)?.name;
  if (name === 'NotAllowedError' || name === 'AbortError') return new AuthError('passkey_cancelled', 'The passkey prompt was cancelled or timed out.', { cause: error });
  if (name === 'InvalidStateError') return new AuthError('passkey_refused', 'This device already holds a passkey for this account; sign in with it.', { cause: error });
  if (name === 'SecurityError') return new AuthError('passkey_unsupported', 'The provider\'s passkeys are for another site than this page (its RP ID does not cover this origin).', { cause: error });
  return new AuthError('passkey_refused', `The browser refused the passkey: ${(error as Error | undefined)?.message ?? error}`, { cause: error });
}

/** Aborted when either is. */
function anySignal(...signals: AbortSignal[]): AbortSignal {
  const either = new AbortController();
  for (const one of signals) one.addEventListener('abort', () => either.abort(one.reason), { once: true });
  return either.signal;
}

function bytes(value: string): Uint8Array<ArrayBuffer> {
  const binary = atob(value.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(value.length / 4) * 4, '='));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function base64url(buffer: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
