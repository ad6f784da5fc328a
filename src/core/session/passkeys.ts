/**
 * The session's way to the passkey code (../passkeys/): loaded when a page uses a passkey, by
 * this one import(), so that neither the first load nor a session without passkeys carries it.
 */
import type { LoginConfig } from '../config.js';
import type { PasskeySessionHost } from '../passkeys/passkey-login.js';
import type { LoginCallOptions, TokenView } from '../session-contract.js';
import { toAuthError } from './oauth-errors.js';

/** See ../passkeys/passkey-login.ts. */
export function passkeyLogin(call: LoginCallOptions, config: LoginConfig, organization: string | null, host: PasskeySessionHost): Promise<TokenView | undefined> {
  return import('../passkeys/passkey-login.js').then(
    ({ runPasskeyLogin }) => runPasskeyLogin(call, config, organization, host),
    (error: unknown) => { throw host.fail(toAuthError(error, 'passkey_refused')); },
  );
}
