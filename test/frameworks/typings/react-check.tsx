// Type-checked (npm run typecheck), never run: what a React 19 + TypeScript user writes.
// documentation.test.mjs checks that every property and attribute in custom-elements.json is used here.
import type { ReactClosoLoginProps } from '../../../src/react.js';

// Every property (React 19 sets these as properties).
export const properties = (
  <closo-login
    domain="example.us.auth0.com"
    issuer="https://tenant.example/"
    clientId="abc"
    audience="https://api.example"
    scope="openid email"
    redirectUri="https://app.example/callback"
    authorizationParams={{ prompt: 'login' }}
    storage="session"
    renewBefore={45}
    silent
    logoutUri="https://app.example/"
    dpop="required"
    mode="popup"
    popupTimeout={120}
    timeout={5}
    organization="org_7d0c4a1f2e3b4c5d"
    acceptInvitation
    interactiveErrors="popup"
    loginLabel="Anmelden"
    logoutLabel="Abmelden"
    busyLabel="Anmeldung läuft…"
    headless={false}
    passkeys
    ontoken={(event) => event.detail.appState ?? event.detail.accessToken.toUpperCase()}
    onauth-error={(event) => event.detail.code}
    onlogout={(event) => event.detail.reason}
    onexpiring={(event) => event.detail.expiresAt}
  />
);

// Every dash-case attribute (React 19 passes these as attributes).
export const attributes = (
  <closo-login
    client-id="abc"
    redirect-uri="https://app.example/callback"
    authorization-params="prompt=login&ui_locales=de"
    renew-before="45"
    logout-uri="https://app.example/"
    popup-timeout={120}
    accept-invitation
    interactive-errors="popup"
    login-label="Anmelden"
    logout-label="Abmelden"
    busy-label="Anmeldung läuft…"
  />
);

// JSX takes any dash-case name unchecked, so make sure each attribute is declared (with its value type).
export const declaredAttributes: (keyof ReactClosoLoginProps)[] = [
  'client-id', 'redirect-uri', 'authorization-params', 'renew-before', 'logout-uri', 'popup-timeout', 'accept-invitation', 'interactive-errors', 'login-label', 'logout-label', 'busy-label',
];

// @ts-expect-error an attribute's value is text (or a number for numbers), not an object
export const objectForText = <closo-login login-label={{}} />;

// @ts-expect-error not a storage mode
export const badStorage = <closo-login storage="cookie" />;

// @ts-expect-error not a mode
export const badMode = <closo-login mode="modal" />;

// @ts-expect-error a property takes a number: React would set the string as it is
export const textForNumber = <closo-login popupTimeout="120" />;

// @ts-expect-error the property takes an object; the query-string form is the attribute's
export const textForObject = <closo-login authorizationParams="prompt=login" />;

// @ts-expect-error the token event has no refresh token
export const noRefresh = <closo-login ontoken={(event) => event.detail.refreshToken} />;
