// Type-checked (npm run typecheck), never run: what a React 19 + TypeScript user writes.
import type {} from '../../../src/react.js';

export const ok = (
  <closo-login
    issuer="https://tenant.example/"
    client-id="abc"
    clientId="abc"
    renew-before="45"
    storage="session"
    ontoken={(event) => event.detail.accessToken.toUpperCase()}
    onauth-error={(event) => event.detail.code}
    onlogout={(event) => event.detail.reason}
  />
);

// @ts-expect-error not a storage mode
export const badStorage = <closo-login storage="cookie" />;

// @ts-expect-error the token event has no refresh token
export const noRefresh = <closo-login ontoken={(event) => event.detail.refreshToken} />;
