/**
 * Tokens for other APIs from one login. With a refresh token, a refresh grant that names the
 * API (`audience`, and `scope`): Auth0's Multi-Resource Refresh Token. Without one, a silent
 * sign-in for that API. The session keeps one token per (audience, scope) beside its own, in
 * its stored session (so tabs share them as they share the rest), and clears them at logout.
 * A token is never handed out for another API than the one asked for: Auth0 answers an API
 * outside the application's policy with a token for the default API, silently.
 */
import type { LoginConfig } from '../config.js';
import { AuthError } from '../errors.js';
import type { Renewal, RenewalHost } from './renewal.js';
import { assertAudience } from './token-answer.js';
import { validFor } from './token-set.js';
import type { ApiToken, StoredSession, TokenSet } from '../session-contract.js';

export interface ApiRequest {
  readonly audience?: string | undefined;
  readonly scope?: string | undefined;
}

/** Whether `api` asks for something else than the session's own token. */
export const forAnotherApi = (api: ApiRequest, config: LoginConfig): boolean =>
  (api.audience !== undefined && api.audience !== config.audience) || (api.scope !== undefined && api.scope !== config.scope);

/** How the session files a token for an API. */
const keyOf = ({ audience, scope }: ApiRequest) => `${audience ?? ''} ${scope ?? ''}`;

/**
 * A token for `api`, valid for `minValidity` more seconds: the one the session keeps, or a new
 * one. Two tries: when another tab renewed the session meanwhile, its result may carry it.
 */
export async function tokenForApi(host: RenewalHost, renewal: Renewal, api: ApiRequest, minValidity: number): Promise<ApiToken> {
  if (!api.audience) throw new AuthError('config_invalid', 'A token for another API needs its audience.');
  const key = keyOf(api);
  const kept = (session: StoredSession | null) => {
    const token = session?.apis?.[key];
    return token && validFor(token, minValidity) ? token : null;
  };
  const extra = { audience: api.audience, ...(api.scope ? { scope: api.scope } : {}) };
  for (let attempt = 0; attempt < 2; attempt++) {
    const token = kept(host.current());
    if (token) return token;
    const { session, answer } = await renewal.exchange(extra, (started, received) => withApiToken(started, received, api, key));
    if (answer) return session.apis![key]!;
    if (kept(session)) return kept(session)!;
  }
  throw new AuthError('refresh_failed', `No token for ${api.audience} reached this tab; another tab kept renewing the session.`);
}

/**
 * The session after a refresh for `api`: its own access token kept, the rotated refresh token and
 * a new ID token taken, and the answer's access token filed for `api` once it is checked to be
 * for that API. A token for another API is refused (`audience_mismatch`), but the rotation is kept.
 */
function withApiToken(started: StoredSession, received: TokenSet, api: ApiRequest, key: string): { tokens: StoredSession; refusal?: AuthError } {
  const tokens: StoredSession = { ...started, refreshToken: received.refreshToken, idToken: received.idToken, claims: received.claims };
  try {
    assertAudience(received.accessToken, api.audience!);
  } catch (refusal) {
    return { tokens, refusal: refusal as AuthError };
  }
  const token: ApiToken = { accessToken: received.accessToken, tokenType: received.tokenType, expiresAt: received.expiresAt, scope: received.scope, audience: api.audience! };
  return { tokens: { ...tokens, apis: { ...started.apis, [key]: token } } };
}
