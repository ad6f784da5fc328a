// Passkeys with the page's own UI (a `headless` element): the page's field has
// autocomplete="username webauthn", so the browser lists the site's passkeys in its autofill.

// Offer the passkeys in autofill as soon as the page shows the field. Resolves once the user
// picked one and is signed in; quietly gives up (null) where the browser has no autofill for passkeys.
export function offerPasskeysInAutofill(login) {
  return login.login({ passkey: { mediation: 'conditional' } }).catch(() => null);
}

// "Sign in with a passkey": the browser's passkey prompt, then signed in on this page.
export function signInWithPasskey(login) {
  return login.login({ passkey: true });
}

// "Sign up": a new user, by their email, and a new passkey for them.
export function signUpWithPasskey(login, email) {
  return login.login({ passkey: { signup: { email } } });
}
