/** The element's configuration as framework templates see it (properties and dash-case attributes). */
import type { ClosoLogin } from './closo-login.js';
import type { AuthErrorEvent, LogoutEvent, TokenEvent } from './events.js';

export type ClosoLoginProperties = Partial<Pick<ClosoLogin,
  'domain' | 'issuer' | 'clientId' | 'audience' | 'scope' | 'redirectUri' | 'authorizationParams' |
  'storage' | 'renewBefore' | 'silent' | 'logoutUri' | 'timeout' | 'headless'>>;

export interface ClosoLoginAttributes {
  'client-id'?: string;
  'redirect-uri'?: string;
  'authorization-params'?: string;
  'renew-before'?: number | string;
  'logout-uri'?: string;
}

export interface ClosoLoginEventHandlers {
  token: (event: TokenEvent) => void;
  'auth-error': (event: AuthErrorEvent) => void;
  logout: (event: LogoutEvent) => void;
}
