// Type-checked (npm run typecheck), never run: the props Vue's language tools see for <closo-login>.
// documentation.test.mjs checks that every property in custom-elements.json is used here.
import type { GlobalComponents } from 'vue';
import type {} from '../../../src/vue.js';

type Props = InstanceType<GlobalComponents['closo-login']>['$props'];

// Every property. Vue's tools check `client-id="abc"` as `clientId`, so there are no dash-case keys.
export const properties: Props = {
  domain: 'example.us.auth0.com',
  issuer: 'https://tenant.example/',
  clientId: 'abc',
  audience: 'https://api.example',
  scope: 'openid email',
  redirectUri: 'https://app.example/callback',
  authorizationParams: { prompt: 'login' },
  storage: 'local',
  renewBefore: 45,
  silent: true,
  logoutUri: 'https://app.example/',
  dpop: 'required',
  mode: 'popup',
  popupTimeout: 120,
  timeout: 5,
  organization: 'acme',
  acceptInvitation: true,
  interactiveErrors: 'popup',
  loginLabel: 'Anmelden',
  logoutLabel: 'Abmelden',
  busyLabel: 'Anmeldung läuft…',
  headless: false,
  passkeys: true,
  onToken: (event) => event.detail.accessToken,
  onAuthError: (event) => event.detail.code,
  onLogout: (event) => event.detail.reason,
  onExpiring: (event) => event.detail.expiresAt,
};

// What static attributes give: text, as in `renew-before="45" authorization-params="prompt=login"`.
export const attributeText: Props = { renewBefore: '45', popupTimeout: '120', authorizationParams: 'prompt=login' };

// @ts-expect-error not a storage mode
export const badStorage: Props = { storage: 'cookie' };

// @ts-expect-error not a mode
export const badMode: Props = { mode: 'modal' };
