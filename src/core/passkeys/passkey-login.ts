/**
 * A login with a passkey, as the session runs it (loaded when a page uses a passkey: see
 * ../session/passkeys.ts). A modal login is busy from the start. One waiting in
 * autofill (mediation "conditional") is busy only once the user picked a passkey: until then it
 * is held for a login() to cancel, and a browser without autofill for passkeys, or one that stops
 * waiting, rejects quietly (no auth-error), as a page asks on every load.
 */
import type { LoginConfig } from '../config.js';
import type { AuthError } from '../errors.js';
import type { LoginCallOptions, NetworkOptions, PasskeyOptions, TokenSet, TokenView } from '../session-contract.js';
import { toAuthError } from '../session/oauth-errors.js';
import { passkeyCeremony, passkeyOf, passkeyTokens } from './webauthn.js';

/** What a passkey login may do with the session. */
export interface PasskeySessionHost {
  /** Runs the login's work as every login runs (busy, events; rejects with an AuthError). */
  login(work: () => Promise<TokenSet>): Promise<TokenView | undefined>;
  net(): Promise<NetworkOptions>;
  /** Reports an error (auth-error) and returns it. */
  fail(error: AuthError): AuthError;
  /** Holds a login waiting in autofill, for a new login() to cancel. */
  hold(done: Promise<unknown>, cancel: AbortController): void;
  /** Someone is logged in: autofill does not wait then (its field is not shown). */
  loggedIn(): boolean;
}

export async function runPasskeyLogin(call: LoginCallOptions, config: LoginConfig, organization: string | null, host: PasskeySessionHost): Promise<TokenView | undefined> {
  let options: PasskeyOptions;
  try {
    options = passkeyOf(call);
  } catch (error) {
    throw host.fail(toAuthError(error, 'config_invalid'));
  }
  if (!options.mediation) {
    return host.login(async () => passkeyTokens(config, await passkeyCeremony(config, options, organization, await host.net()), options, organization, await host.net()));
  }
  if (host.loggedIn()) return undefined;
  const cancel = new AbortController();
  const picked = (async () => passkeyCeremony(config, options, organization, await host.net(), cancel.signal))();
  host.hold(picked, cancel);
  let ceremony: Awaited<typeof picked>;
  try {
    ceremony = await picked;
  } catch (error) {
    if (cancel.signal.aborted) return undefined;
    const failure = toAuthError(error, 'passkey_refused');
    // Not the user's doing: a browser without autofill for passkeys, or one that gave up waiting.
    throw failure.code === 'passkey_unsupported' || failure.code === 'passkey_cancelled' ? failure : host.fail(failure);
  }
  return host.login(async () => passkeyTokens(config, ceremony, options, organization, await host.net()));
}
