/**
 * ID token signature check against the provider's JWKS. oauth4webapi validates the ID
 * token's claims and algorithm but, as OpenID Connect Core §3.1.3.7 allows for tokens
 * from the token endpoint, not its signature; the element checks it too, so that a
 * tampered token is refused whatever the transport. The JWKS is fetched at login and
 * kept for the page session, so the callback page still makes a single request.
 */
import type { AuthorizationServer } from 'oauth4webapi';
import { requestOptions, type NetworkOptions } from './authorization-server.js';
import type { LoginConfig } from './config.js';
import { AuthError, toAuthError } from './errors.js';
import { readCached, writeCached } from './storage.js';

interface Jwk extends JsonWebKey {
  kid?: string;
  use?: string;
}

const JWKS_CACHE_MS = 10 * 60 * 1000;

/** WebCrypto parameters for the asymmetric algorithms a provider may sign ID tokens with. */
const ALGORITHMS: Record<string, { kty: string; import: RsaHashedImportParams | EcKeyImportParams; verify: AlgorithmIdentifier | RsaPssParams | EcdsaParams }> = {
  RS256: { kty: 'RSA', import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verify: 'RSASSA-PKCS1-v1_5' },
  PS256: { kty: 'RSA', import: { name: 'RSA-PSS', hash: 'SHA-256' }, verify: { name: 'RSA-PSS', saltLength: 32 } },
  ES256: { kty: 'EC', import: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' } },
};

const invalid = (message: string, cause?: unknown) => new AuthError('id_token_invalid', `The ID token was rejected: ${message}`, { cause });

const decode = (part: string) => Uint8Array.from(atob(part.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

async function fetchJwks(config: LoginConfig, as: AuthorizationServer, network: NetworkOptions): Promise<Jwk[]> {
  if (!as.jwks_uri) throw invalid('the provider publishes no jwks_uri.');
  try {
    const options = requestOptions(config, network);
    const doFetch = network.fetch ?? fetch;
    const response = await doFetch(as.jwks_uri, { headers: { accept: 'application/json' }, signal: options.signal, redirect: 'error' });
    if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
    const { keys } = (await response.json()) as { keys?: unknown };
    if (!Array.isArray(keys)) throw new Error('JWKS has no keys');
    writeCached(`jwks:${config.issuer}`, keys);
    return keys as Jwk[];
  } catch (error) {
    throw toAuthError(error, 'id_token_invalid');
  }
}

/** Fetches the JWKS ahead of the callback (at login). Failures are left for the callback to report. */
export async function prefetchJwks(config: LoginConfig, as: AuthorizationServer, network: NetworkOptions = {}): Promise<void> {
  if (!readCached(`jwks:${config.issuer}`, JWKS_CACHE_MS)) await fetchJwks(config, as, network).catch(() => {});
}

export async function verifyIdTokenSignature(config: LoginConfig, as: AuthorizationServer, idToken: string, network: NetworkOptions = {}): Promise<void> {
  const [headerPart = '', payloadPart = '', signaturePart = ''] = idToken.split('.');
  let header: { alg?: string; kid?: string };
  try {
    header = JSON.parse(new TextDecoder().decode(decode(headerPart)));
  } catch (cause) {
    throw invalid('its header is not JSON.', cause);
  }
  const algorithm = ALGORITHMS[header.alg ?? ''];
  if (!algorithm) throw invalid(`unsupported signing algorithm "${header.alg}".`);
  const data = new TextEncoder().encode(`${headerPart}.${payloadPart}`);
  const signature = decode(signaturePart);

  const cached = readCached<Jwk[]>(`jwks:${config.issuer}`, JWKS_CACHE_MS);
  for (const fresh of cached ? [false, true] : [true]) {
    const keys = fresh ? await fetchJwks(config, as, network) : cached!;
    const candidates = keys.filter((jwk) =>
      jwk.kty === algorithm.kty && (header.kid === undefined || jwk.kid === header.kid) &&
      (jwk.alg === undefined || jwk.alg === header.alg) && (jwk.use === undefined || jwk.use === 'sig'));
    for (const jwk of candidates) {
      const { kid: _kid, use: _use, key_ops: _ops, ...material } = jwk;
      const key = await crypto.subtle.importKey('jwk', material, algorithm.import, false, ['verify']).catch(() => null);
      if (key && (await crypto.subtle.verify(algorithm.verify, key, signature, data))) return;
    }
    // No key verified it: the provider may have rotated its keys; fetch the JWKS once more.
  }
  throw invalid('its signature does not verify with the provider\'s keys.');
}
