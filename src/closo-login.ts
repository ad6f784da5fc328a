import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { DEFAULT_RENEW_BEFORE, DEFAULT_SCOPE, DEFAULT_TIMEOUT, resolveConfig, type LoginConfig, type LoginOptions } from './config.js';
import { AuthError, toAuthError } from './errors.js';
import { outcomeEvent, pageLoading, type IdTokenClaims, type TokenEventDetail } from './events.js';
import { openPopup } from './popup-login.js';
import { sessionFor, type Session, type SessionChange } from './session.js';

/** `authorization-params="prompt=login&ui_locales=fr"`: an attribute in query-string form. */
const paramsConverter = {
  fromAttribute: (value: string | null) => (value === null ? undefined : Object.fromEntries(new URLSearchParams(value))),
  toAttribute: (value: Record<string, string> | undefined) => (value ? new URLSearchParams(value).toString() : null),
};

const CONFIG_PROPERTIES = [
  'domain', 'issuer', 'clientId', 'audience', 'scope', 'redirectUri', 'authorizationParams', 'storage', 'renewBefore', 'silent', 'logoutUri', 'timeout', 'dpop',
] as const;

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
 *
 * @csspart base - The wrapper around everything.
 * @csspart button - Both buttons.
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
 *
 * @slot login-label - Replaces the "Log in" label (or use the `login-label` attribute).
 * @slot logout-label - Replaces the "Log out" label (or use the `logout-label` attribute).
 * @slot busy-label - Replaces the "Logging in…" label (or use the `busy-label` attribute, which is also announced).
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

  static override styles = css`
    :host {
      display: inline-block;
      font: var(--closo-login-font, inherit);
    }
    :host([hidden]),
    :host([headless]) {
      display: none;
    }
    [part~='base'] {
      display: inline-flex;
      flex-wrap: wrap;
      align-items: center;
      gap: var(--closo-login-gap, 0.75em);
    }
    /* Defaults follow the page's color-scheme (light-dark), at WCAG AA contrast either way. */
    button {
      font: inherit;
      font-weight: 600;
      padding: 0.5em 1.1em;
      border: 1px solid transparent;
      border-radius: var(--closo-login-radius, 6px);
      background: var(--closo-login-accent, light-dark(#3e3ad6, #a9a7ff));
      color: var(--closo-login-accent-text, light-dark(#ffffff, #14133a));
      cursor: pointer;
    }
    button:focus-visible {
      outline: 2px solid var(--closo-login-accent, light-dark(#3e3ad6, #a9a7ff));
      outline-offset: 2px;
    }
    button[aria-disabled='true'] {
      cursor: progress;
    }
    button:disabled {
      cursor: not-allowed;
      opacity: 0.6;
    }
    [part~='error'] {
      margin: 0;
      color: var(--closo-login-error-color, light-dark(#b00020, #ffb4ab));
      flex-basis: 100%;
    }
    .visually-hidden {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip-path: inset(50%);
      white-space: nowrap;
    }
  `;

  /** Auth0 tenant domain, e.g. `example.us.auth0.com` (issuer `https://example.us.auth0.com/`). */
  @property({ attribute: 'domain' }) domain?: string;

  /** Issuer URL of any OpenID Provider (instead of `domain`). */
  @property({ attribute: 'issuer' }) issuer?: string;

  /** The application's client ID. */
  @property({ attribute: 'client-id' }) clientId?: string;

  /** Auth0 API identifier the access token is for, e.g. `https://api.thecloso.com`. */
  @property({ attribute: 'audience' }) audience?: string;

  /** Scopes to request; `openid` is always added. */
  @property({ attribute: 'scope' }) scope: string = DEFAULT_SCOPE;

  /** Redirect URI; defaults to the page URL without query and fragment. Sent exactly as given. */
  @property({ attribute: 'redirect-uri' }) redirectUri?: string;

  /** Further authorization parameters (`prompt`, `login_hint`, `organization`, …); attribute in query-string form. */
  @property({ attribute: 'authorization-params', converter: paramsConverter }) authorizationParams?: Record<string, string>;

  /** Where tokens are kept: `memory` (default), `session` (sessionStorage) or `local` (localStorage). */
  @property({ attribute: 'storage' }) storage: 'memory' | 'session' | 'local' = 'memory';

  /** Seconds before expiry at which the access token is renewed with the refresh token. */
  @property({ attribute: 'renew-before', type: Number }) renewBefore: number = DEFAULT_RENEW_BEFORE;

  /** After a reload, restore a memory session by a silent sign-in (`prompt=none` in a hidden iframe). */
  @property({ attribute: 'silent', type: Boolean }) silent = false;

  /** Where the provider sends the user after logout; defaults to this origin's `/`. */
  @property({ attribute: 'logout-uri' }) logoutUri?: string;

  /** DPoP (RFC 9449) sender-constrained tokens: absent = off, present = on, `required` = refuse Bearer answers. */
  @property({ attribute: 'dpop' }) dpop?: boolean | string | null;

  /** `redirect` (default) leaves the page for the provider; `popup` opens it in a popup window. */
  @property({ attribute: 'mode' }) mode: 'redirect' | 'popup' = 'redirect';

  /** Seconds the popup may stay open before the login gives up with `timeout`. */
  @property({ attribute: 'popup-timeout', type: Number }) popupTimeout = 300;

  /** Seconds before a request to the provider (or a silent sign-in) gives up with `timeout`. */
  @property({ attribute: 'timeout', type: Number }) timeout: number = DEFAULT_TIMEOUT;

  /** Label of the login button (a `login-label` slot overrides it). */
  @property({ attribute: 'login-label' }) loginLabel = 'Log in';

  /** Label of the logout button (a `logout-label` slot overrides it). */
  @property({ attribute: 'logout-label' }) logoutLabel = 'Log out';

  /** Shown and announced to screen readers while logging in (a `busy-label` slot overrides the visible text). */
  @property({ attribute: 'busy-label' }) busyLabel = 'Logging in…';

  /** Render nothing: for apps with their own UI, which call `login()` and listen for events. */
  @property({ attribute: 'headless', type: Boolean, reflect: true }) headless = false;

  @state() private _tokens: TokenEventDetail | null = null;
  @state() private _busy = false;
  @state() private _error: AuthError | null = null;
  @state() private _configError: AuthError | null = null;

  #session: Session | null = null;
  /** This element's validated configuration: the session's may come from another element. */
  #config: LoginConfig | null = null;
  #unsubscribe: (() => void) | null = null;
  #navigating = false;
  #navigationTimer: ReturnType<typeof setTimeout> | undefined;
  /** Events waiting for the page to finish loading (see pageLoading). */
  #outbox: Promise<void> | null = null;

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

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.#session) this.#attach(this.#session);
    window.addEventListener('pageshow', this.#onPageShow);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    window.removeEventListener('pageshow', this.#onPageShow);
  }

  /**
   * Configuration is read once per update, after a framework has set all its
   * properties, and before the first render: a callback's code exchange starts here.
   */
  protected override willUpdate(changed: PropertyValues<this>): void {
    if (this.#session && !CONFIG_PROPERTIES.some((name) => changed.has(name))) return;
    let config: LoginConfig;
    try {
      config = resolveConfig(this.#options(), location);
    } catch (error) {
      this.#detach();
      const configError = toAuthError(error, 'config_invalid');
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
    try {
      session.start(location.href);
    } catch (error) {
      this.#report(toAuthError(error, 'storage_unavailable'));
    }
  }

  /**
   * Starts a login: navigates to the provider, or with `popup` (or `mode="popup"`) opens it
   * in a popup and resolves once logged in. Rejects with AuthError (also dispatched as `auth-error`).
   */
  async login(options: { returnTo?: string; authorizationParams?: Record<string, string>; popup?: boolean } = {}): Promise<void> {
    if (this._configError) throw this.#report(this._configError);
    if (options.popup ?? this.mode === 'popup') return this.#popupLogin(options);
    if (!this.#session || this.#navigating) return;
    this.#navigating = true;
    this._busy = true;
    this._error = null;
    try {
      if (options.authorizationParams) {
        // Same checks as configuration: no overriding PKCE, state or nonce.
        resolveConfig({ ...this.#options(), authorizationParams: options.authorizationParams }, location);
      }
      await this.#session.login(options, this.#config ?? undefined);
    } catch (error) {
      this.#navigating = false;
      this._busy = this.#session?.busy ?? false;
      throw this.#report(toAuthError(error, 'authorization_failed'));
    }
    // The page normally unloads now. Still here after `timeout` (the provider answered 204, a
    // download started, the navigation was cancelled): the login did not happen, say so.
    clearTimeout(this.#navigationTimer);
    this.#navigationTimer = setTimeout(this.#onNavigationTimeout, this.timeout * 1000);
  }

  /**
   * An access token valid for at least `minValidity` seconds (default 30), renewed first
   * when needed. Rejects with AuthError `login_required` when the user must log in.
   */
  async getAccessToken(options: { minValidity?: number } = {}): Promise<string> {
    if (this._configError) throw this._configError;
    if (!this.#session) throw new AuthError('login_required', 'The element is not connected.');
    return this.#session.getAccessToken(options);
  }

  /**
   * Calls an API with the current access token (renewed first when needed): with DPoP, an
   * `Authorization: DPoP` header and a fresh proof for this URL and method; else `Bearer`.
   * Resolves with the API's Response; rejects with AuthError `login_required` when logged out.
   */
  async fetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    if (this._configError) throw this._configError;
    if (!this.#session) throw new AuthError('login_required', 'The element is not connected.');
    return this.#session.fetch(input, init);
  }

  /**
   * Logs out: tokens cleared here, in storage and in other tabs, `logout` dispatched,
   * the refresh token revoked, then the provider's logout page (skipped with `localOnly`).
   */
  async logout(options: { localOnly?: boolean } = {}): Promise<void> {
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
          </button>`}
      ${error ? html`<p part="error" role="alert">${error.message}</p>` : nothing}
      <span part="status" class="visually-hidden" role="status">${busy ? this.busyLabel : ''}</span>
    </div>`;
  }

  async #popupLogin(options: { authorizationParams?: Record<string, string> }): Promise<void> {
    if (!this.#session || this._busy) return;
    // Opened before any await: browsers only allow popups in the click's own task.
    const popup = openPopup();
    if (!popup) {
      throw this.#report(new AuthError('popup_blocked', 'The browser blocked the login window; allow popups for this site.'));
    }
    try {
      if (options.authorizationParams) resolveConfig({ ...this.#options(), authorizationParams: options.authorizationParams }, location);
    } catch (error) {
      popup.close();
      throw this.#report(toAuthError(error, 'config_invalid'));
    }
    // Failures reach the page through the session's auth-error.
    await this.#session.loginWithPopup(popup, {
      ...(options.authorizationParams ? { authorizationParams: options.authorizationParams } : {}),
      timeoutMs: this.popupTimeout * 1000,
    }, this.#config ?? undefined);
  }

  #options(): LoginOptions {
    return {
      domain: this.domain,
      issuer: this.issuer,
      clientId: this.clientId,
      audience: this.audience,
      scope: this.scope,
      redirectUri: this.redirectUri,
      authorizationParams: this.authorizationParams,
      storage: this.storage,
      renewBefore: this.renewBefore,
      silent: this.silent,
      logoutUri: this.logoutUri,
      timeout: this.timeout,
      dpop: this.dpop,
    };
  }

  #attach(session: Session): void {
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
        this.#dispatch(outcomeEvent('token', change.tokens));
        break;
      case 'logout':
        this._tokens = null;
        this.#dispatch(outcomeEvent('logout', { claims: change.claims, reason: change.reason }));
        break;
      case 'error':
        this.#report(change.error);
        break;
    }
  };

  /** Shows the error and dispatches `auth-error`; returns it for rethrowing. */
  #report(error: AuthError): AuthError {
    if (error !== this._configError) this._error = error;
    this.#dispatch(outcomeEvent('auth-error', {
      code: error.code,
      message: error.message,
      ...(error.cause !== undefined ? { cause: error.cause } : {}),
    }));
    return error;
  }

  /**
   * Dispatches an outcome; while the page is still loading, once it has loaded, in order, so
   * that listeners added by later scripts hear about a restored session or a bad configuration.
   */
  #dispatch(event: Event): void {
    const waiting = this.#outbox ?? pageLoading();
    if (!waiting) {
      this.dispatchEvent(event);
      return;
    }
    const sent: Promise<void> = waiting.then(() => {
      this.dispatchEvent(event);
      if (this.#outbox === sent) this.#outbox = null;
    });
    this.#outbox = sent;
  }

  #onNavigationTimeout = (): void => {
    if (!this.#navigating) return;
    this.#navigating = false;
    this._busy = this.#session?.busy ?? false;
    this.#report(new AuthError('timeout', 'The browser did not open the login page.'));
  };

  #onLoginClick = (): void => {
    if (this._busy) return;
    this.login().catch(() => {
      // Reported as auth-error already.
    });
  };

  #onLogoutClick = (): void => {
    this.logout().catch(() => {
      // Logout never fails locally; provider errors are ignored by design.
    });
  };

  /** Back from the provider through the back/forward cache: the navigation did not happen. */
  #onPageShow = (event: PageTransitionEvent): void => {
    if (!event.persisted) return;
    clearTimeout(this.#navigationTimer);
    this.#navigating = false;
    this._busy = this.#session?.busy ?? false;
  };
}

function displayName(claims: IdTokenClaims): string {
  return [claims.name, claims.email, claims.sub].find((v) => typeof v === 'string' && v) as string;
}

declare global {
  interface HTMLElementTagNameMap {
    'closo-login': ClosoLogin;
  }
}
