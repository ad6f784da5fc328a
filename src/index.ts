import './define.js';

export { ClosoLogin } from './closo-login.js';
export {
  AuthError,
  AUTHORIZATION_ERROR_CODES,
  ELEMENT_ERROR_CODES,
  type AuthErrorCode,
  type AuthorizationErrorCode,
  type ElementErrorCode,
} from './core/errors.js';
export type {
  AuthErrorEvent,
  AuthErrorEventDetail,
  ExpiringEvent,
  ExpiringEventDetail,
  IdTokenClaims,
  LogoutEvent,
  LogoutEventDetail,
  TokenEvent,
  TokenEventDetail,
} from './events.js';
export { DEFAULT_SCOPE, type LoginOptions } from './core/config.js';
export type {
  AccessTokenOptions, ApiRequest, ExchangedToken, LoginCallOptions, LogoutOptions, TokenExchangeOptions, TokenIsolation, TokenView,
} from './core/session-contract.js';
