/**
 * The refresh token's vault: a dedicated worker that sends the session's token requests and
 * keeps the refresh token they return, so that no script of the page can read it (OAuth 2.0
 * for Browser-Based Apps, "in-memory token storage in a Web Worker"). The page holds a handle
 * (`closo-rt.<uuid>`) in its place; only this worker can turn it into the token.
 *
 * Bound once, by its first message, to one client's token and revocation endpoints: a script
 * that reaches the worker can ask for no other endpoint, client or parameter. Started by
 * token-worker-start.ts, bound and used by session/token-vault.ts. It imports types only
 * (erased), so that at run time it imports nothing and also runs from a blob: URL.
 */
import type { RefreshTokenHandle, VaultAnswer, VaultBinding, VaultRequest, WorkerMessage } from './token-worker-protocol.js';

/** The worker's global scope, as far as this file uses it (the DOM lib types `self` as a window). */
interface WorkerGlobal {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: WorkerMessage): void;
}
const workerGlobal = self as unknown as WorkerGlobal;

/** Auth0's passkey grant (session/passkeys.ts): sent as JSON, authn_response an object, as Auth0 takes it only so. */
const WEBAUTHN_GRANT = 'urn:okta:params:oauth:grant-type:webauthn';
/** The parameters each request may carry (RFC 6749 §4.1.3, §6; RFC 8693 §2.1; RFC 7009 §2.1; Auth0 `audience` and `organization`, RFC 8707 `resource`). */
const GRANT_PARAMS: Readonly<Record<string, readonly string[]>> = {
  authorization_code: ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'client_id'],
  refresh_token: ['grant_type', 'refresh_token', 'client_id', 'scope', 'audience', 'resource'],
  'urn:ietf:params:oauth:grant-type:token-exchange': [
    'grant_type', 'subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type',
    'client_id', 'scope', 'audience', 'resource', 'organization',
  ],
  [WEBAUTHN_GRANT]: ['grant_type', 'auth_session', 'authn_response', 'client_id', 'realm', 'scope', 'audience', 'organization'],
};
const REVOCATION_PARAMS = ['token', 'token_type_hint', 'client_id'];
const FORWARDED_HEADERS = new Set(['accept', 'content-type', 'dpop']);
const ANSWER_HEADERS = ['content-type', 'dpop-nonce', 'www-authenticate', 'cache-control'];
const TIMEOUT_MS = 30_000;

let binding: VaultBinding | null = null;
/** Handle → refresh token. */
const vault = new Map<string, string>();
/** Handles whose refresh token is being sent: one use at a time (rotation, RFC 9700 §4.14.2). */
const inFlight = new Set<string>();

const answer = (id: number, status: number, body: unknown, headers: [string, string][] = [['content-type', 'application/json']]) =>
  reply({ id, status, headers, body: JSON.stringify(body) });

const reply = (message: VaultAnswer) => workerGlobal.postMessage(message);

const refuse = (id: number, status: number, error: string, description: string) =>
  answer(id, status, { error, error_description: description });

// Messages are checked field by field: any script of the origin that reaches the worker can send them.
workerGlobal.onmessage = (event: MessageEvent) => {
  const data = event.data as Record<string, unknown> | null;
  if (!data || typeof data !== 'object') return;
  if (!binding) {
    binding = bind(data['binding']);
    if (binding) workerGlobal.postMessage({ ready: true });
    return;
  }
  if ('forget' in data) {
    vault.delete(String(data['forget']));
    return;
  }
  if (typeof data['id'] === 'number') void send(data as unknown as VaultRequest);
};

function bind(value: unknown): VaultBinding | null {
  const given = value as Partial<VaultBinding> | undefined;
  if (!given || typeof given.tokenEndpoint !== 'string' || typeof given.clientId !== 'string') return null;
  return { tokenEndpoint: given.tokenEndpoint, revocationEndpoint: typeof given.revocationEndpoint === 'string' ? given.revocationEndpoint : null, clientId: given.clientId };
}

async function send(request: VaultRequest): Promise<void> {
  const { id } = request;
  const bound = binding!;
  const params = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
  const revocation = bound.revocationEndpoint !== null && request.url === bound.revocationEndpoint;
  if (!revocation && request.url !== bound.tokenEndpoint) return refuse(id, 400, 'invalid_request', 'The token vault sends only to the session\'s token and revocation endpoints.');
  if (params.getAll('client_id').length !== 1 || params.get('client_id') !== bound.clientId) return refuse(id, 400, 'invalid_client', 'The token vault serves one client only.');
  const allowed = revocation ? REVOCATION_PARAMS : GRANT_PARAMS[params.get('grant_type') ?? ''];
  if (!allowed || [...params.keys()].some((name) => !allowed.includes(name))) return refuse(id, 400, 'invalid_request', 'The token vault refuses this request\'s parameters.');
  if ([...new Set(params.keys())].length !== [...params.keys()].length) return refuse(id, 400, 'invalid_request', 'A parameter is repeated.');

  const handleParam = revocation ? 'token' : params.get('grant_type') === 'refresh_token' ? 'refresh_token' : null;
  const handle = handleParam ? params.get(handleParam)! : null;
  if (handle !== null) {
    const token = vault.get(handle);
    if (token === undefined) {
      // A revoked, rotated or foreign handle: nothing to send (RFC 7009 §2.2: unknown tokens revoke fine).
      return revocation ? answer(id, 200, {}) : refuse(id, 400, 'invalid_grant', 'The refresh token is not known to this session.');
    }
    if (inFlight.has(handle)) return refuse(id, 400, 'temporarily_unavailable', 'This refresh token is already being used.');
    params.set(handleParam!, token);
    inFlight.add(handle);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (FORWARDED_HEADERS.has(name.toLowerCase())) headers[name] = String(value);
  }
  try {
    let sent: BodyInit = params;
    if (params.get('grant_type') === WEBAUTHN_GRANT) {
      sent = JSON.stringify({ ...Object.fromEntries(params), authn_response: JSON.parse(params.get('authn_response')!) });
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(request.url, {
      method: 'POST', headers, body: sent, redirect: 'manual', credentials: 'omit', signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    // A token endpoint never redirects; following one would send the token elsewhere.
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) return refuse(id, 502, 'server_error', 'The endpoint answered with a redirect.');
    let body = await response.text();
    if (handle !== null && revocation) vault.delete(handle);
    if (!revocation && response.status === 200) body = sealRefreshToken(body, handle);
    const kept: [string, string][] = [];
    for (const name of ANSWER_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) kept.push([name, value]);
    }
    reply({ id, status: response.status, headers: kept, body });
  } catch (error) {
    reply({ id, failed: (error as Error | undefined)?.name === 'TimeoutError' ? 'timeout' : 'network' });
  } finally {
    if (handle !== null) inFlight.delete(handle);
  }
}

/** Replaces a refresh token in a token answer by a new handle; the spent handle `previous` is dropped (rotation). */
function sealRefreshToken(body: string, previous: string | null): string {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return body;
  }
  if (!json || typeof json !== 'object' || typeof json['refresh_token'] !== 'string') return body;
  if (previous !== null) vault.delete(previous);
  const handle: RefreshTokenHandle = `closo-rt.${crypto.randomUUID()}`;
  vault.set(handle, json['refresh_token']);
  return JSON.stringify({ ...json, refresh_token: handle });
}
