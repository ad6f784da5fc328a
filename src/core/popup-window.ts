/**
 * The popup window of a popup login, opened in the click's own task: browsers block popups
 * opened after an await, and the code of the login (popup-login.ts) may still be loading.
 */

import type { LoginConfig } from './config.js';
import type { LoginCallOptions } from './session-contract.js';

/** Whether `call` logs in in a popup: its own choice, else the configuration's `mode`; never with a token from elsewhere. */
export const inPopup = (call: LoginCallOptions, config: LoginConfig): boolean => !call.subjectToken && !call.passkey && (call.popup ?? config.mode === 'popup');

/** The popup's window name, so that a second login reuses the window. */
const POPUP_NAME = 'closo-login-popup';

/** Opens the popup, blank until the login sends it to the provider; null when the browser blocked it. */
export function openPopup(): Window | null {
  const width = 480;
  const height = 640;
  const left = Math.max(0, (screen.width - width) / 2);
  const top = Math.max(0, (screen.height - height) / 2);
  return window.open('', POPUP_NAME, `popup,width=${width},height=${height},left=${left},top=${top}`);
}
