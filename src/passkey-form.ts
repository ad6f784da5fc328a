/**
 * The element's passkey controls (the `passkeys` attribute; docs/passkeys.md): "Sign in with a
 * passkey", and a field for the email to sign up with, which is also where the browser lists this
 * site's passkeys (autofill, `autocomplete="username webauthn"`, WebAuthn conditional mediation).
 * Loaded only by an element with `passkeys`, so that the first load stays as it was. No protocol
 * here: each action is a login() call (session/passkeys.ts does the work).
 */
import { css, html, type TemplateResult } from 'lit';
import type { LoginCallOptions } from './core/session-contract.js';

/** What the form needs of its element. */
export interface PasskeyHost extends HTMLElement {
  login(options: LoginCallOptions): Promise<unknown>;
}

/**
 * Per element: a login waits in autofill, or autofill stopped: the browser has none, or the last
 * one failed (its auth-error said why), until the user's next passkey action, so that a provider
 * that keeps failing is not asked again at every render.
 */
const autofill = new WeakMap<PasskeyHost, 'waiting' | 'stopped'>();

/** Added to the element's own (closo-login.styles.ts) when the form first renders: a constructed sheet, which a strict CSP allows. */
const styles = css`
  /* The passkey buttons are outlined, beside the Log in button; the sign-up form takes a row of its own. */
  [part~='passkey-button'],
  [part~='passkey-signup-button'] {
    background: transparent;
    color: var(--closo-login-accent, light-dark(#3e3ad6, #a9a7ff));
    border-color: currentColor;
    flex: none;
    white-space: nowrap;
  }
  [part~='passkey-form'] {
    display: flex;
    flex-basis: 100%;
    align-items: center;
    gap: var(--closo-login-gap, 0.75em);
  }
  [part~='passkey-username'],
  ::slotted(input) {
    flex: 1 1 10em;
    min-width: 0;
  }
  [part~='passkey-username'] {
    font: inherit;
    padding: 0.45em 0.6em;
    border: 1px solid light-dark(#6b6b76, #a0a0ab);
    border-radius: var(--closo-login-radius, 6px);
    background: light-dark(#ffffff, #1d1d24);
    color: inherit;
  }
`;

function adoptStyles(host: PasskeyHost): void {
  const root = host.shadowRoot;
  const sheet = styles.styleSheet;
  if (root && sheet && !root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

/**
 * The controls, for an element whose user is logged out. With no login under way, a passkey
 * login waits in autofill; a click on any button of the element cancels it (Session.login), and
 * the next render starts it again.
 */
export function passkeyForm(host: PasskeyHost, busy: boolean): TemplateResult {
  adoptStyles(host);
  if (!busy && !autofill.has(host)) waitInAutofill(host);
  const label = (name: string, fallback: string) => host.getAttribute(name) ?? fallback;
  const username = label('passkey-username-label', 'Email');
  return html`<button part="button passkey-button" type="button" aria-disabled=${busy ? 'true' : 'false'}
      @click=${() => act(host, { passkey: true })}>${label('passkey-label', 'Sign in with a passkey')}</button>
    <form part="passkey-form" novalidate @submit=${(event: SubmitEvent) => signUp(event, host)}>
      <slot name="passkey-username"><input part="passkey-username" name="username" type="email" required
        autocomplete="username webauthn" placeholder=${username} aria-label=${username}></slot>
      <button part="button passkey-signup-button" type="submit" aria-disabled=${busy ? 'true' : 'false'}>${label('passkey-signup-label', 'Sign up with a passkey')}</button>
    </form>`;
}

function act(host: PasskeyHost, options: LoginCallOptions): void {
  // The user's passkey action: autofill that stopped starts again at the next render (this login's outcome).
  if (autofill.get(host) === 'stopped') autofill.delete(host);
  host.login(options).catch(() => {
    // Reported as auth-error already; the buttons are usable again.
  });
}

function signUp(event: SubmitEvent, host: PasskeyHost): void {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  // The page's own field, slotted in (light DOM, where Safari's autofill works), else the element's.
  const slotted = form.querySelector('slot')?.assignedElements().find((element) => element instanceof HTMLInputElement);
  const field = (slotted ?? form.querySelector('input')) as HTMLInputElement;
  // The field that is used says what is wrong with it (empty, not an email), as a form would: the form does not
  // check itself (novalidate), since the element's own field, replaced by a slotted one, would hold it back.
  if (!field.reportValidity() || !field.value.trim()) return void field.focus();
  act(host, { passkey: { signup: { email: field.value.trim() } } });
}

function waitInAutofill(host: PasskeyHost): void {
  autofill.set(host, 'waiting');
  // After this render, so that the field is in the document when the browser looks for it.
  queueMicrotask(() => {
    host.login({ passkey: { mediation: 'conditional' } }).then(
      () => autofill.delete(host),
      () => autofill.set(host, 'stopped'),
    );
  });
}
