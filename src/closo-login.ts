import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { styles } from './closo-login.styles.js';
import { OPTIONS, resolveConfig, type LoginConfig, type OptionName, type OptionValues } from './core/config.js';
import { AuthError, meansSignedOut } from './core/errors.js';
import type {
  AccessTokenOptions, ApiRequest, ExchangedToken, IdTokenClaims, LoginCallOptions, LogoutOptions, SessionChange, TokenExchangeOptions,
  TokenIsolation, TokenView,
} from './core/session-contract.js';
import { sessionFor, type SessionHandle } from './core/session-handle.js';
import { dispatchOutcome, outcomeEvent, type TokenEventDetail } from './events.js';

const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[];

/**
 * A login button that gets a JWT access token from Auth0 or any OpenID Provider with
 * the Authorization Code flow + PKCE, and handles the callback when the page loads
 * on the redirect URL.
 *
 * @tagname closo-login
 * @summary Log in with Auth0 (or any OpenID Provider) and receive `token` events.
 *
 * @fires {CustomEvent<TokenEventDetail>} token - A login completed, a renewal brought a new token, or a session was restored. `detail`: `{ accessToken, tokenType, expiresAt, scope, audience, idToken, claims }`.
 * @fires {CustomEvent<AuthErrorEventDetail>} auth-error - Something failed. `detail`: `{ code, message, cause? }`.
 * @fires {CustomEvent<LogoutEventDetail>} logout - The session ended. `detail`: `{ claims, reason }`.
 * @fires {CustomEvent<ExpiringEventDetail>} expiring - `renew-before` seconds before the access token stops working when nothing will renew it (no refresh token, no silent sign-in, or the session's ceiling). `detail`: `{ expiresAt }`.
 *
 * @csspart base - The wrapper around everything.
 * @csspart button - Every button: Log in or Log out, and with `passkeys` the two passkey buttons.
 * @csspart login-button - The "Log in" button.
 * @csspart logout-button - The "Log out" button.
 * @csspart user - The logged-in user's name.
 * @csspart error - The error message.
 *
 * @cssproperty [--closo-login-accent=light-dark(#3e3ad6, #a9a7ff)] - Button background.
 * @cssproperty [--closo-login-accent-text=light-dark(#ffffff, #14133a)] - Button text colour.
 * @cssproperty [--closo-login-radius=6px] - Button corner radius.
 * @cssproperty [--closo-login-font=inherit] - Font of the element.
 * @cssproperty [--closo-login-gap=0.75em] - Space between the parts.
 * @cssproperty [--closo-login-error-color=light-dark(#b00020, #ffb4ab)] - Error text colour.
 *
 * @csspart status - The visually hidden live region that announces logging in and out.
 * @csspart passkey-button - With `passkeys`: the "Sign in with a passkey" button (`passkey-label` attribute).
 * @csspart passkey-form - With `passkeys`: the sign-up form (an email field, and its button).
 * @csspart passkey-username - With `passkeys`: the email field, where the browser lists the site's passkeys (`passkey-username-label`).
 * @csspart passkey-signup-button - With `passkeys`: the "Sign up with a passkey" button (`passkey-signup-label`).
 *
 * @slot login-label - Replaces the "Log in" label (or use the `login-label` attribute).
 * @slot logout-label - Replaces the "Log out" label (or use the `logout-label` attribute).
 * @slot busy-label - Replaces the "Logging in…" label (or use the `busy-label` attribute, which is also announced).
 * @slot passkey-username - With `passkeys`: the page's own `<input autocomplete="username webauthn">` instead of the element's (Safari lists passkeys only in a field outside shadow DOM).
 */
export class ClosoLogin extends LitElement {
  /** Registers the element under `tag` (once; a second call is a no-op). */
  static define(tag = 'closo-login', registry: CustomElementRegistry = customElements): void {
    if (registry.get(tag)) return;
    try {
      registry.define(tag, this);
    } catch {
      // The class is already registered under another name: a registry takes a constructor once.
      registry.define(tag, class extends this {});
    }
  }

  static override styles = styles;

  /** The configuration options (core/config.ts OPTIONS: attribute, conversion, default, check), then the UI's own. */
  static override properties = {
    ...OPTIONS,
    loginLabel: { attribute: 'login-label' },
    logoutLabel: { attribute: 'logout-label' },
    busyLabel: { attribute: 'busy-label' },
    headless: { type: Boolean, reflect: true },
    passkeys: { type: Boolean },
    _tokens: { state: true },
    _busy: { state: true },
    _error: { state: true },
    _configError: { state: true },
  };

  /** Label of the login button (a `login-label` slot overrides it). */
  declare loginLabel: string;

  /** Label of the logout button (a `logout-label` slot overrides it). */
  declare logoutLabel: string;

  /** Shown and announced to screen readers while logging in (a `busy-label` slot overrides the visible text). */
  declare busyLabel: string;

  /** Render nothing: for apps with their own UI, which call `login()` and listen for events. */
  declare headless: boolean;

  /** Offer sign-in and sign-up with a passkey, with no redirect, and the site's passkeys in autofill (docs/passkeys.md). */
  declare passkeys: boolean;

  declare private _tokens: TokenView | null;
  declare private _busy: boolean;
  declare private _error: AuthError | null;
  declare private _configError: AuthError | null;

  #session: SessionHandle | null = null;
  /** This element's validated configuration: the session's may come from another element. */
  #config: LoginConfig | null = null;
  #unsubscribe: (() => void) | null = null;
  /** The passkey controls, once their code has loaded (passkey-form.ts). */
  #passkeyForm: typeof import('./passkey-form.js').passkeyForm | null = null;

  constructor() {
    super();
    for (const name of OPTION_NAMES) if (OPTIONS[name].initial !== undefined) (this as Record<string, unknown>)[name] = OPTIONS[name].initial;
    this.loginLabel = 'Log in';
    this.logoutLabel = 'Log out';
    this.busyLabel = 'Logging in…';
    this.headless = false;
    this.passkeys = false;
    this._tokens = null;
    this._busy = false;
    this._error = null;
    this._configError = null;
  }

  /** True while a user is logged in. */
  get authenticated(): boolean {
    return this._tokens !== null;
  }

  /** The logged-in user's ID token claims, or null. */
  get user(): IdTokenClaims | null {
    return this._tokens?.claims ?? null;
  }

  /** The current access token, or null. */
  get accessToken(): string | null {
    return this._tokens?.accessToken ?? null;
  }

  /**
   * Where the refresh token lives: `'worker'` (a worker no page script can read), `'page'`
   * (`session`/`local` storage, or the worker could not start), null while nobody is logged in.
   */
  get tokenIsolation(): TokenIsolation | null {
    return this._tokens ? this.#session?.tokenIsolation ?? null : null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.#session) return;
    // Back after its session was released (session-handle.ts): the next update finds the page's session again.
    if (this.#session.disposed) {
      this.#session = null;
      this.requestUpdate();
    } else {
      this.#attach(this.#session);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  /**
   * Configuration is read once per update, after a framework has set all its
   * properties, and before the first render: a callback's code exchange starts here.
   */
  protected override willUpdate(changed: PropertyValues<this>): void {
    if (this.passkeys && !this.#passkeyForm) import('./passkey-form.js').then(({ passkeyForm }) => { this.#passkeyForm = passkeyForm; this.requestUpdate(); }, () => { /* the next update tries again */ });
    if (this.#session && !OPTION_NAMES.some((name) => changed.has(name))) return;
    let config: LoginConfig;
    try {
      config = resolveConfig(this, location);
    } catch (error) {
      this.#detach();
      // resolveConfig throws AuthError `config_invalid`; anything else is a bug worth its own message.
      const configError = error instanceof AuthError ? error : new AuthError('config_invalid', String(error));
      if (configError.message !== this._configError?.message) {
        this._configError = configError;
        this.#report(configError);
      }
      return;
    }
    this._configError = null;
    this.#config = config;
    const session = sessionFor(config);
    if (session !== this.#session) this.#attach(session);
    session.start(location.href);
  }

  /**
   * Starts a login: navigates to the provider, or with `popup` (or `mode="popup"`) opens it in a
   * popup and resolves with the token detail once logged in. `appState` comes back in the detail
   * of this login's `token` event; `organization` and `invitation` are Auth0 Organizations'.
   * With `subjectToken` and `subjectTokenType`, logs in with that token instead (RFC 8693 token
   * exchange), with no page of the provider. Rejects with AuthError (also dispatched as `auth-error`).
   */
  async login(options: LoginCallOptions = {}): Promise<TokenEventDetail | undefined> {
    if (this._configError) throw this.#report(this._configError);
    return this.#session?.login(options satisfies LoginCallOptions, this.#config ?? undefined);
  }

  /**
   * An access token valid for at least `minValidity` seconds (default 30), renewed first when
   * needed; with `audience` (and `scope`), one for that API. Rejects with AuthError
   * `login_required` when the user must log in.
   */
  async getAccessToken(options: AccessTokenOptions = {}): Promise<string> {
    return this.#connected().getAccessToken(options);
  }

  /**
   * Exchanges a token for an access token for the caller (RFC 8693: delegation, impersonation
   * with `actorToken`, a partner's token): nothing is stored, no event fires, the session is
   * untouched, and no refresh token comes back. Rejects with AuthError (`config_invalid`,
   * `token_exchange_failed`, …), without an `auth-error` event.
   */
  async exchangeToken(options: TokenExchangeOptions): Promise<ExchangedToken> {
    return this.#connected().exchangeToken(options);
  }

  /**
   * Calls an API with the current access token (renewed first when needed; with `audience`, a
   * token for that API): with DPoP, an `Authorization: DPoP` header and a fresh proof for this
   * URL and method; else `Bearer`. Resolves with the API's Response; rejects with AuthError
   * `login_required` when logged out, `step_up_required` when the API asks for a stronger login.
   */
  async fetch(input: RequestInfo | URL, init: RequestInit & ApiRequest = {}): Promise<Response> {
    return this.#connected().fetch(input, init);
  }

  /**
   * Logs out: tokens cleared here, in storage and in other tabs, `logout` dispatched,
   * the refresh token revoked, then the provider's logout page (skipped with `localOnly`).
   */
  async logout(options: LogoutOptions = {}): Promise<void> {
    await this.#session?.logout(options, this.#config ?? undefined);
  }

  protected override render() {
    if (this.headless) return nothing;
    const error = this._configError ?? this._error;
    const busy = this._busy;
    const user = this._tokens ? displayName(this._tokens.claims) : '';
    // A busy button stays focusable (aria-disabled), so keyboard focus is not thrown away. Only the
    // button is aria-busy: the live region beside it must not be inside a busy subtree, where
    // screen readers may hold its announcement back.
    return html`<div part="base">
      ${this._tokens
        ? html`<span part="user">${user}</span>
            <button part="button logout-button" type="button" @click=${this.#onLogoutClick}>
              <slot name="logout-label">${this.logoutLabel}</slot>
            </button>`
        : html`<button part="button login-button" type="button" ?disabled=${!!this._configError}
              aria-disabled=${busy ? 'true' : 'false'} aria-busy=${busy ? 'true' : 'false'} @click=${this.#onLoginClick}>
            ${busy ? html`<slot name="busy-label">${this.busyLabel}</slot>` : html`<slot name="login-label">${this.loginLabel}</slot>`}
          </button>
          ${this.passkeys && !this._configError ? this.#passkeyForm?.(this, busy) : nothing}`}
      ${error ? html`<p part="error" role="alert">${error.message}</p>` : nothing}
      <span part="status" class="visually-hidden" role="status">${busy ? this.busyLabel : ''}</span>
    </div>`;
  }

  /** The session, or why there is none. */
  #connected(): SessionHandle {
    if (this._configError) throw this._configError;
    if (!this.#session) throw new AuthError('login_required', 'The element is not connected.');
    return this.#session;
  }

  #attach(session: SessionHandle): void {
    this.#detach();
    this.#session = session;
    this.#unsubscribe = session.subscribe(this.#onSessionChange);
    this._tokens = session.tokens;
    this._busy = session.busy;
    this._error = session.lastError;
  }

  #detach(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#session = null;
  }

  #onSessionChange = (change: SessionChange): void => {
    // The button under focus may be replaced (Log in ↔ Log out): keep focus on its successor.
    const hadFocus = this.shadowRoot?.activeElement instanceof HTMLButtonElement;
    this._busy = this.#session?.busy ?? false;
    this._tokens = this.#session?.tokens ?? null;
    // After the state above is set, so that updateComplete waits for the new render.
    if (hadFocus) this.updateComplete.then(() => this.shadowRoot?.querySelector('button')?.focus());
    switch (change.type) {
      case 'token':
        this._tokens = change.tokens;
        this._error = null;
        dispatchOutcome(this, outcomeEvent('token', change.appState === undefined ? change.tokens : { ...change.tokens, appState: change.appState }));
        break;
      case 'logout':
        this._tokens = null;
        dispatchOutcome(this, outcomeEvent('logout', { claims: change.claims, reason: change.reason }));
        break;
      case 'expiring':
        dispatchOutcome(this, outcomeEvent('expiring', { expiresAt: change.expiresAt }));
        break;
      case 'error':
        this.#report(change.error);
        break;
    }
  };

  /**
   * Dispatches `auth-error` and shows the error; returns it for rethrowing. `login_required` and
   * the other answers that mean "not signed in silently" are not shown: the Log in button says
   * it (a silent sign-in that found no provider session, a session that ended), docs/errors.md.
   */
  #report(error: AuthError): AuthError {
    if (error !== this._configError) this._error = meansSignedOut(error.code) ? null : error;
    dispatchOutcome(this, outcomeEvent('auth-error', {
      code: error.code,
      message: error.message,
      ...(error.cause !== undefined ? { cause: error.cause } : {}),
    }));
    return error;
  }

  #onLoginClick = (): void => {
    this.login().catch(() => {
      // Reported as auth-error already.
    });
  };

  #onLogoutClick = (): void => {
    this.logout().catch(() => {
      // Logout never fails locally; provider errors are ignored by design.
    });
  };
}

/** The configuration options are properties too (declared from OPTIONS, so the list stays the only one). */
export interface ClosoLogin extends OptionValues {}

function displayName(claims: IdTokenClaims): string {
  return [claims.name, claims.email, claims.sub].find((v) => typeof v === 'string' && v) as string;
}

declare global {
  interface HTMLElementTagNameMap {
    'closo-login': ClosoLogin;
  }
}
