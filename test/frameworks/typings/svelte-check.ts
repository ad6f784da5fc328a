// Type-checked (npm run typecheck), never run: the attributes svelte-check accepts on <closo-login>.
// documentation.test.mjs checks that every property and attribute in custom-elements.json is used here.
import type { SvelteHTMLElements } from 'svelte/elements';
import type {} from '../../../src/svelte.js';

// Every property (Svelte sets what the element has as a property).
export const properties: SvelteHTMLElements['closo-login'] = {
  domain: 'example.us.auth0.com',
  issuer: 'https://tenant.example/',
  clientId: 'abc',
  audience: 'https://api.example',
  scope: 'openid email',
  redirectUri: 'https://app.example/callback',
  authorizationParams: { prompt: 'login' },
  storage: 'session',
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
  ontoken: (event) => event.detail.accessToken,
  'onauth-error': (event) => event.detail.code,
  onlogout: (event) => event.detail.reason,
  onexpiring: (event) => event.detail.expiresAt,
};

// Every dash-case attribute (set as attributes).
export const attributes: SvelteHTMLElements['closo-login'] = {
  'client-id': 'abc',
  'redirect-uri': 'https://app.example/callback',
  'authorization-params': 'prompt=login&ui_locales=de',
  'renew-before': 45,
  'logout-uri': 'https://app.example/',
  'popup-timeout': '120',
  'accept-invitation': true,
  'interactive-errors': 'popup',
  'login-label': 'Anmelden',
  'logout-label': 'Abmelden',
  'busy-label': 'Anmeldung läuft…',
};

// @ts-expect-error not a storage mode
export const badStorage: SvelteHTMLElements['closo-login'] = { storage: 'cookie' };

// @ts-expect-error not a mode
export const badMode: SvelteHTMLElements['closo-login'] = { mode: 'modal' };

// @ts-expect-error a property takes a number: Svelte would set the string as it is
export const textForNumber: SvelteHTMLElements['closo-login'] = { renewBefore: '45' };
