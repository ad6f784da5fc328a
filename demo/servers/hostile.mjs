// Test-only misbehaviour for the local provider ("hostile mode"). Nothing here runs
// unless a test sets `provider.faults`; the demo never does.
//
// faults.authorization: tamper with the redirect back to the client
//   { state: 'wrong' | 'missing' | 'duplicate' | <a replayed state value>,
//     iss: 'wrong' | 'missing' | 'duplicate', error: '<oauth error>' (keeps the code too when keepCode),
//     errorDescription, keepCode, extra: { name: value },
//     tokenInQuery: true (an access_token) | 'id_token' | 'access_token', fragment: true,
//     implicit: true (tokens in the fragment and no code, as an implicit-flow provider answers),
//     hang: true (the authorization endpoint never answers), noContent: true (it answers 204: the browser stays),
//     frameRefused: true (it answers with a login page that refuses to be framed) }
// faults.token: the token endpoint's answer
//   { status, body, type }                 answer this instead (the code is not redeemed)
//   { redirect: true } | { hang: true } | { drop: true } | { delayMs } | { until: <a promise> } (answers once it settles)
//   { json: { name: value | DELETE } }       change fields of the real answer
// faults.idToken: the ID token in the real answer, re-signed with the provider's key
//   { claims: { name: value | DELETE }, header: { ... }, signature: 'bad' | 'none' | 'hs256',
//     key: 'spare' (signed with the provider's second key, under its own kid) }
// faults.jwks: which keys the JWKS endpoint publishes, e.g. ['primary', 'spare'] or ['spare']
//   (key rotation; several keys for an ID token without kid)
import { createHmac, sign } from 'node:crypto';

export const DELETE = '__delete__';

const apply = (target, changes = {}) => {
  for (const [name, value] of Object.entries(changes)) {
    if (value === DELETE) delete target[name];
    else target[name] = value;
  }
  return target;
};

/** Rewrites the Location of a redirect back to the client. */
export function tamperAuthorizationResponse(location, fault, issuer) {
  const url = new URL(location);
  const params = url.searchParams;
  const state = params.get('state');
  if (fault.error) {
    if (!fault.keepCode) params.delete('code');
    params.set('error', fault.error);
    params.set('error_description', fault.errorDescription ?? 'The provider was told to refuse.');
  }
  if (fault.state === 'wrong') params.set('state', `${state}1`);
  else if (fault.state === 'missing') params.delete('state');
  else if (fault.state === 'duplicate') params.append('state', state);
  else if (typeof fault.state === 'string') params.set('state', fault.state);
  if (fault.iss === 'wrong') params.set('iss', `${issuer}1`);
  else if (fault.iss === 'missing') params.delete('iss');
  else if (fault.iss === 'duplicate') params.append('iss', params.get('iss') ?? issuer);
  for (const [name, value] of Object.entries(fault.extra ?? {})) params.append(name, value);
  if (fault.tokenInQuery) {
    const name = typeof fault.tokenInQuery === 'string' ? fault.tokenInQuery : 'access_token';
    params.set(name, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJpbmplY3RlZCJ9.');
  }
  if (fault.implicit) {
    params.delete('code');
    params.set('access_token', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJpbmplY3RlZCJ9.');
    params.set('token_type', 'Bearer');
  }
  if (fault.fragment || fault.implicit) {
    url.hash = params.toString();
    url.search = '';
  }
  return url.href;
}

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/**
 * Re-issues an ID token with changed claims, header or signature. Signed by hand (not
 * with a JWT library) so that it can produce what libraries refuse to: crit headers,
 * alg none, HMAC with a made-up secret.
 */
export function tamperIdToken(idToken, fault, privateKey, kid) {
  const [headerPart, payloadPart] = idToken.split('.');
  const alg = fault.signature === 'none' ? 'none' : fault.signature === 'hs256' ? 'HS256' : 'RS256';
  const header = apply({ ...decode(headerPart), kid, alg }, fault.header);
  const input = `${b64url(header)}.${b64url(apply(decode(payloadPart), fault.claims))}`;
  if (alg === 'none') return `${input}.`;
  const signature = alg === 'HS256'
    ? createHmac('sha256', 'a-shared-secret-the-client-never-has').update(input).digest()
    : sign('sha256', Buffer.from(input), privateKey);
  if (fault.signature === 'bad') signature[10] ^= 0x5a; // RS256 signature XOR 0x5A (conformance suite)
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * Answers the token endpoint according to `faults`, or returns false to let the real
 * endpoint answer (with `transform` set when the answer must be changed on its way out).
 */
export async function hostileTokenEndpoint(req, res, faults, { issuer, signingKey }) {
  const fault = faults.token ?? {};
  const cors = { 'access-control-allow-origin': req.headers.origin ?? '*' };
  if (fault.drop) {
    // The connection dies before any answer. (The provider answers everything with
    // Connection: close meanwhile, so this is a fresh connection: a browser retries a
    // request only when a reused keep-alive connection fails.)
    req.socket.destroy();
    return true;
  }
  if (fault.hang) return true; // never answers; the socket closes with the server
  if (fault.redirect) {
    res.writeHead(302, { ...cors, location: `${issuer}somewhere-else` });
    res.end();
    return true;
  }
  if (fault.body !== undefined || fault.status !== undefined) {
    res.writeHead(fault.status ?? 200, { ...cors, 'content-type': fault.type ?? 'application/json' });
    res.end(fault.body ?? '');
    return true;
  }
  if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  if (fault.until) await fault.until;
  if (!fault.json && !faults.idToken) return false;
  // Let oidc-provider answer, and change its JSON on the way out.
  const end = res.end.bind(res);
  res.end = (chunk, ...rest) => {
    Promise.resolve().then(async () => {
      let body = chunk;
      try {
        const json = JSON.parse(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
        if (json.id_token && faults.idToken) {
          const { privateKey, kid } = signingKey(faults.idToken.key ?? 'primary');
          json.id_token = tamperIdToken(json.id_token, faults.idToken, privateKey, kid);
        }
        apply(json, fault.json);
        body = JSON.stringify(json);
      } catch {
        // not JSON (an error page): pass it on unchanged
      }
      if (!res.headersSent) res.setHeader('content-length', Buffer.byteLength(body));
      end(body, ...rest);
    });
    return res;
  };
  return false;
}
