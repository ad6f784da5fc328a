/**
 * Step-up that opens itself (`interactive-errors="popup"`, auth0-spa-js's interactiveErrorHandler):
 * a failure only the user can mend opens a popup login that asks for what was missing, and the
 * call goes on with the new session. A renewal Auth0 refuses with `mfa_required` asks for
 * multi-factor (Auth0's MFA policy); an API's RFC 9470 challenge (`step_up_required`) for the
 * acr_values and max_age it named. Browsers open popups only shortly after a user's gesture:
 * where the popup is blocked, the call rejects with the error it met, as without the setting.
 */
import type { LoginConfig } from '../config.js';
import { AuthError } from '../errors.js';
import { openPopup } from '../popup-window.js';
import type { LoginCallOptions, TokenView } from '../session-contract.js';

/** Auth0's multi-factor policy (what Auth0's SDKs ask for after mfa_required). */
export const MFA_ACR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';

/** What a popup login must ask for to mend `error`; null when no login mends it. */
function stepUpParams(error: AuthError): Record<string, string> | null {
  if (error.code === 'mfa_required') return { acr_values: MFA_ACR };
  if (error.code !== 'step_up_required' || !error.stepUp) return null;
  const { acrValues, maxAge } = error.stepUp;
  return { ...(acrValues ? { acr_values: acrValues } : {}), ...(maxAge !== undefined ? { max_age: String(maxAge) } : {}) };
}

/**
 * After `error`: with `interactive-errors="popup"` and an error a login mends, a popup login
 * (`login`, given the window opened here) that asks for it, then `retry`. Otherwise, or when the
 * browser blocks the popup, `error` again.
 */
export async function stepUp<T>(
  error: unknown,
  config: LoginConfig,
  login: (call: LoginCallOptions, popup: Window) => Promise<TokenView | undefined>,
  retry: () => Promise<T>,
): Promise<T> {
  const params = config.interactiveErrors === 'popup' && error instanceof AuthError ? stepUpParams(error) : null;
  const popup = params && openPopup();
  if (!popup) throw error;
  await login({ popup: true, authorizationParams: { ...params, prompt: 'login' } }, popup);
  return retry();
}
