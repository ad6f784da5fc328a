/**
 * A login with a passkey, as the session runs it (loaded when a page uses a passkey: see
 * ../session/passkeys.ts). A modal login is busy from the start. One waiting in autofill
 * (mediation "conditional") is busy only once the user picked a passkey: until then a new login()
 * cancels it, its challenge is renewed before it runs out, and what ends it rejects quietly (no
 * auth-error), as a page asks on every load.
 */
import type { LoginConfig } from '../config.js';
import type { AuthError } from '../errors.js';
import type { LoginCallOptions, NetworkOptions, PasskeyOptions, TokenSet, TokenView } from '../session-contract.js';
import { toAuthError } from '../session/oauth-errors.js';
import { passkeyCeremony, passkeyOf, passkeyTokens, type Ceremony } from './webauthn.js';

/** What a passkey login may do with the session. */
export interface PasskeySessionHost {
  /** Runs the login's work as every login runs (busy, events; rejects with an AuthError). */
  login(work: () => Promise<TokenSet>): Promise<TokenView | undefined>;
  net(): Promise<NetworkOptions>;
  /** Reports an error (auth-error) and returns it. */
  fail(error: AuthError): AuthError;
  /** Holds a wait in autofill for a new login() to cancel, while `when()` says so. */
  hold(done: Promise<unknown>, cancel: AbortController, when: () => boolean): void;
}

/** A wait in autofill: cancelled by a new login() until the user picked a passkey. */
export interface AutofillWait {
  readonly cancel: AbortController;
  picked: boolean;
}

export async function runPasskeyLogin(call: LoginCallOptions, config: LoginConfig, organization: string | null, host: PasskeySessionHost, autofill: AutofillWait | null): Promise<TokenView | undefined> {
  let options: PasskeyOptions;
  try {
    options = passkeyOf(call, config);
  } catch (error) {
    const failure = toAuthError(error, 'config_invalid');
    throw autofill ? failure : host.fail(failure);
  }
  if (!autofill) {
    // Not null: only a wait in autofill renews its challenge.
    return host.login(async () => passkeyTokens(config, (await passkeyCeremony(config, options, organization, await host.net()))!, options, organization, await host.net()));
  }
  const { signal } = autofill.cancel;
  let ceremony: Ceremony | null = null;
  while (!ceremony) {
    try {
      // null: the challenge ran out while nobody picked a passkey; the wait goes on with a new one.
      ceremony = await passkeyCeremony(config, options, organization, await host.net(), signal);
    } catch (error) {
      if (signal.aborted) return undefined;
      // Nothing the user did: a browser without autofill for passkeys, a provider without the API, a wait
      // the browser ended. It rejects quietly (no auth-error): the page asked by itself; a click says more.
      throw toAuthError(error, 'passkey_refused');
    }
  }
  // Cancelled in the very turn the user picked: the login that cancelled it goes first.
  if (signal.aborted) return undefined;
  autofill.picked = true;
  const picked = ceremony;
  return host.login(async () => passkeyTokens(config, picked, options, organization, await host.net()));
}
