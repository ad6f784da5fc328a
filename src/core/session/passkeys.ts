/**
 * The session's way to the passkey code (../passkeys/): loaded when a page uses a passkey, by
 * this one import(), so that neither the first load nor a session without passkeys carries it.
 */
import type { LoginConfig } from '../config.js';
import type { PasskeySessionHost } from '../passkeys/passkey-login.js';
import type { LoginCallOptions, TokenView } from '../session-contract.js';
import { toAuthError } from './oauth-errors.js';

/** A login that waits in autofill (mediation "conditional") until the user picks a passkey. */
export const waitsInAutofill = (call: LoginCallOptions): boolean => typeof call.passkey === 'object' && call.passkey.mediation === 'conditional';

/**
 * See ../passkeys/passkey-login.ts. A wait in autofill is held from this call on, before its code
 * has loaded, so that a new login() cancels it whatever it is doing, until the user picked a passkey.
 */
export function passkeyLogin(call: LoginCallOptions, config: LoginConfig, organization: string | null, host: PasskeySessionHost): Promise<TokenView | undefined> {
  const autofill = waitsInAutofill(call) ? { cancel: new AbortController(), picked: false } : null;
  const done = import('../passkeys/passkey-login.js').then(
    ({ runPasskeyLogin }) => runPasskeyLogin(call, config, organization, host, autofill),
    (error: unknown) => {
      const failure = toAuthError(error, 'passkey_refused');
      throw autofill ? failure : host.fail(failure);
    },
  );
  if (autofill) host.hold(done, autofill.cancel, () => !autofill.picked);
  return done;
}
