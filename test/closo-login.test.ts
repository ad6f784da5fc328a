import { expect } from '@esm-bundle/chai';
import { ClosoLogin } from '../src/closo-login.js';
import '../src/define.js';
import { OPTIONS, resolveConfig } from '../src/core/config.js';
import type { AuthErrorEvent, LogoutEvent, TokenEvent } from '../src/events.js';
import { clearDiscoveryCache } from '../src/core/session/provider.js';
import { startLogin } from '../src/core/session/redirect-login.js';
import { AUDIENCE, ISSUER, clearClosoStorage, fakeFetch, json, metadata, tokenResponse } from './support/responses.js';
import { until } from './support/assertions.js';

const startUrl = location.href;
let mounted: HTMLElement[] = [];
let clientCounter = 0;

/** Each test gets its own client id, so sessions and storage never leak between tests. */
const freshClientId = () => `client-${++clientCounter}-${Math.random().toString(36).slice(2)}`;

function mount(attributes: Record<string, string>, count = 1): ClosoLogin[] {
  const elements: ClosoLogin[] = [];
  for (let i = 0; i < count; i++) {
    const el = document.createElement('closo-login');
    for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
    document.body.append(el);
    mounted.push(el);
    elements.push(el);
  }
  return elements;
}

function record<K extends 'token' | 'auth-error' | 'logout'>(type: K): HTMLElementEventMap[K][] {
  const events: HTMLElementEventMap[K][] = [];
  document.addEventListener(type, (event) => events.push(event as HTMLElementEventMap[K]));
  return events;
}

/** Replaces window.fetch for one test: the element's network, seen through the same seam as the unit tests. */
/** Answers the page's requests from `network`; the vault worker is hidden, since its requests would not pass through the stub. */
function stubFetch(network: ReturnType<typeof fakeFetch>) {
  const original = window.fetch;
  const worker = Object.getOwnPropertyDescriptor(window, 'Worker')!;
  window.fetch = network.fetch;
  Object.defineProperty(window, 'Worker', { value: undefined, configurable: true, writable: true });
  return () => {
    window.fetch = original;
    Object.defineProperty(window, 'Worker', worker);
  };
}

/** Every string a script on the page can reach from `root` through own properties (as an XSS could); DOM nodes below the root are skipped. */
function reachableStrings(root: unknown, depth = 4, seen = new Set<unknown>()): string[] {
  if (typeof root === 'string') return [root];
  if (!root || typeof root !== 'object' || depth === 0 || seen.has(root)) return [];
  if (seen.size > 0 && root instanceof Node) return [];
  seen.add(root);
  return Reflect.ownKeys(root).flatMap((key) => {
    let value: unknown;
    try { value = (root as Record<PropertyKey, unknown>)[key]; } catch { return []; }
    return reachableStrings(value, depth - 1, seen);
  });
}

const settle = async (el: ClosoLogin) => { await el.updateComplete; await new Promise((r) => setTimeout(r, 0)); };

describe('<closo-login>', () => {
  let restoreFetch: () => void = () => {};
  afterEach(() => {
    restoreFetch();
    restoreFetch = () => {};
    for (const el of mounted) el.remove();
    mounted = [];
    history.replaceState(null, '', startUrl);
    clearClosoStorage();
    clearDiscoveryCache();
  });

  it('is registered once, and define() can be called again or under another tag', () => {
    expect(customElements.get('closo-login')).to.equal(ClosoLogin);
    expect(() => ClosoLogin.define()).not.to.throw();
    ClosoLogin.define('my-login');
    expect(customElements.get('my-login')).to.be.a('function');
    expect(document.createElement('my-login')).to.be.instanceOf(ClosoLogin);
  });

  it('shows a Log in button when logged out', async () => {
    const [el] = mount({ issuer: ISSUER, 'client-id': freshClientId() });
    await settle(el!);
    const button = el!.shadowRoot!.querySelector('button')!;
    expect(button.getAttribute('part')).to.equal('button login-button');
    expect(button.textContent!.trim()).to.equal('Log in');
    expect(button.disabled).to.equal(false);
    expect(el!.authenticated).to.equal(false);
    expect(el!.user).to.equal(null);
    expect(el!.accessToken).to.equal(null);
  });

  it('mirrors its attributes in properties', async () => {
    const [el] = mount({
      domain: 'example.us.auth0.com', 'client-id': 'abc', audience: AUDIENCE, scope: 'openid email',
      'redirect-uri': `${location.origin}/cb`, 'authorization-params': 'prompt=login&ui_locales=fr%20en',
    });
    expect(el!.domain).to.equal('example.us.auth0.com');
    expect(el!.clientId).to.equal('abc');
    expect(el!.audience).to.equal(AUDIENCE);
    expect(el!.scope).to.equal('openid email');
    expect(el!.redirectUri).to.equal(`${location.origin}/cb`);
    expect(el!.authorizationParams).to.deep.equal({ prompt: 'login', ui_locales: 'fr en' });
  });

  it('reports missing configuration as auth-error config_invalid, visibly, without any request', async () => {
    const network = fakeFetch({});
    restoreFetch = stubFetch(network);
    const errors = record('auth-error');
    const [el] = mount({ issuer: ISSUER });
    await settle(el!);
    expect(errors).to.have.length(1);
    const event = errors[0]!;
    expect(event).to.be.instanceOf(CustomEvent);
    expect(event.target).to.equal(el);
    expect(event.bubbles).to.equal(true);
    expect(event.composed).to.equal(true);
    expect(event.detail.code).to.equal('config_invalid');
    expect(event.detail.message).to.match(/client-id/);
    const error = el!.shadowRoot!.querySelector('[part=error]')!;
    expect(error.getAttribute('role')).to.equal('alert');
    expect(error.textContent).to.match(/client-id/);
    expect(el!.shadowRoot!.querySelector('button')!.disabled).to.equal(true);

    let rejected: unknown;
    await el!.login().catch((e: unknown) => { rejected = e; });
    expect(rejected).to.have.property('code', 'config_invalid');
    expect(network.seen).to.have.length(0);
  });

  it('refuses a non-loopback http issuer before any request', async () => {
    const network = fakeFetch({});
    restoreFetch = stubFetch(network);
    const errors = record('auth-error');
    const [el] = mount({ issuer: 'http://idp.example/', 'client-id': 'x' });
    await settle(el!);
    expect(errors.map((e) => e.detail.code)).to.deep.equal(['config_invalid']);
    expect(network.seen).to.have.length(0);
  });

  it('clears the error once the configuration is complete', async () => {
    const [el] = mount({ issuer: ISSUER });
    await settle(el!);
    el!.clientId = freshClientId();
    await settle(el!);
    expect(el!.shadowRoot!.querySelector('[part=error]')).to.equal(null);
    expect(el!.shadowRoot!.querySelector('button')!.disabled).to.equal(false);
  });

  it('renders nothing when headless', async () => {
    const [el] = mount({ issuer: ISSUER, 'client-id': freshClientId(), headless: '' });
    await settle(el!);
    expect(el!.shadowRoot!.querySelector('button')).to.equal(null);
    expect(getComputedStyle(el!).display).to.equal('none');
  });

  it('lets slots replace the labels', async () => {
    const [el] = mount({ issuer: ISSUER, 'client-id': freshClientId() });
    el!.innerHTML = '<span slot="login-label">Anmelden</span>';
    await settle(el!);
    const slot = el!.shadowRoot!.querySelector<HTMLSlotElement>('slot[name=login-label]')!;
    expect(slot.assignedElements().map((e) => e.textContent)).to.deep.equal(['Anmelden']);
  });

  it('leaves a URL with ?code= alone when no pending login matches', async () => {
    const network = fakeFetch({});
    restoreFetch = stubFetch(network);
    const events = [...record('token'), ...record('auth-error')];
    const foreign = `${location.pathname}?code=abc&state=${'s'.repeat(43)}`;
    history.replaceState(null, '', foreign);
    const [el] = mount({ issuer: ISSUER, 'client-id': freshClientId() });
    await settle(el!);
    expect(location.pathname + location.search).to.equal(foreign);
    expect(network.seen).to.have.length(0);
    expect(events).to.have.length(0);
  });

  it('completes a callback once for several elements, cleans the URL and logs every element in', async () => {
    const clientId = freshClientId();
    let nonce = '';
    const network = fakeFetch({
      [`${ISSUER}.well-known/openid-configuration`]: () => json(metadata),
      [metadata.token_endpoint]: () => tokenResponse(nonce, {}, { aud: clientId }),
    });
    restoreFetch = stubFetch(network);
    const config = resolveConfig({ issuer: ISSUER, clientId, audience: AUDIENCE }, location);
    const url = await startLogin(config, { returnTo: '/return/here?tab=2#top' });
    nonce = url.searchParams.get('nonce')!;
    const state = url.searchParams.get('state')!;
    clearDiscoveryCache(); // the callback page starts with an empty memory cache
    history.replaceState(null, '', `${location.pathname}?code=the-code&state=${state}&iss=${encodeURIComponent(ISSUER)}&session_state=x`);

    const tokens = record('token');
    const loginRequests = network.seen.length;
    const elements = mount({ issuer: ISSUER, 'client-id': clientId, audience: AUDIENCE }, 3);
    await until(() => tokens.length === 3);

    expect(location.pathname + location.search + location.hash).to.equal('/return/here?tab=2#top');
    // Discovery was cached at login: the callback page makes exactly one request, the token request.
    expect(network.seen.slice(loginRequests).map((r) => r.url)).to.deep.equal([metadata.token_endpoint]);
    expect(tokens.map((e) => e.target)).to.deep.equal(elements);
    const event: TokenEvent = tokens[0]!;
    expect(event).to.be.instanceOf(CustomEvent);
    expect(event.bubbles && event.composed).to.equal(true);
    expect(Object.keys(event.detail).sort()).to.deep.equal(['accessToken', 'audience', 'claims', 'expiresAt', 'idToken', 'scope', 'tokenType']);
    expect(event.detail).to.include({ tokenType: 'Bearer', audience: AUDIENCE, scope: 'openid profile email offline_access' });
    expect(event.detail.claims).to.include({ sub: 'auth0|unit-user', name: 'Unit User' });
    expect(JSON.stringify(event.detail)).not.to.contain('rt-1');
    for (const el of elements) {
      await el.updateComplete;
      expect(el.authenticated).to.equal(true);
      expect(el.accessToken).to.equal(event.detail.accessToken);
      expect(el.user).to.include({ email: 'unit@example.com' });
      expect(el.shadowRoot!.querySelector('[part=user]')!.textContent).to.equal('Unit User');
      expect(el.shadowRoot!.querySelector('[part~=logout-button]')).not.to.equal(null);
      const reachable = reachableStrings(el);
      expect(reachable).to.include(event.detail.accessToken); // the walk does reach the element's state
      expect(reachable).not.to.include('rt-1');
    }
    expect(JSON.stringify(sessionStorage)).not.to.contain(event.detail.accessToken);

    // Log out: every element of the session is told, and shows Log in again.
    const logouts = record('logout');
    elements[1]!.shadowRoot!.querySelector<HTMLButtonElement>('[part~=logout-button]')!.click();
    expect(logouts).to.have.length(3);
    const logout: LogoutEvent = logouts[0]!;
    expect(logout.bubbles && logout.composed).to.equal(true);
    expect(logout.detail.claims).to.include({ sub: 'auth0|unit-user' });
    await elements[0]!.updateComplete;
    expect(elements[0]!.authenticated).to.equal(false);
    expect(elements[0]!.shadowRoot!.querySelector('[part~=login-button]')).not.to.equal(null);
  });

  it('releases its session once its elements are gone and nobody is logged in; keeps it for an element moved, or logged in', async () => {
    // The session's channels to other tabs, by client: whether each is still open.
    const Original = window.BroadcastChannel;
    const channels: Array<{ name: string; open: boolean }> = [];
    window.BroadcastChannel = class extends Original {
      readonly #record = { name: '', open: true };
      constructor(name: string) { super(name); this.#record.name = name; channels.push(this.#record); }
      override close() { this.#record.open = false; super.close(); }
    };
    const openChannels = (clientId: string) => channels.filter((c) => c.name === `closo-login:${clientId}` && c.open).length;
    const task = () => new Promise((r) => setTimeout(r, 20));
    try {
      const clientId = freshClientId();
      const [el] = mount({ issuer: ISSUER, 'client-id': clientId });
      await el!.updateComplete;
      // A login the session refuses (a reserved parameter) loads the session's code, and its channel opens.
      const refused = (element: ClosoLogin) => element.login({ authorizationParams: { state: 'forged' } }).then(() => 'resolved', (e: { code: string }) => e.code);
      expect(await refused(el!)).to.equal('config_invalid');
      expect(openChannels(clientId)).to.equal(1);

      // Moved: out and back in within one task, the element keeps its session.
      el!.remove();
      document.body.append(el!);
      await task();
      expect(openChannels(clientId)).to.equal(1);

      // Gone, with nobody logged in: the session is released.
      el!.remove();
      await task();
      expect(openChannels(clientId)).to.equal(0);
      // Back: a new session, which works.
      document.body.append(el!);
      await el!.updateComplete;
      expect(await refused(el!)).to.equal('config_invalid');
      expect(openChannels(clientId)).to.equal(1);

      // Logged in (a session restored from sessionStorage): kept while no element shows it.
      const stored = freshClientId();
      const config = resolveConfig({ issuer: ISSUER, clientId: stored, storage: 'session' }, location);
      sessionStorage.setItem(`closo-login:${encodeURIComponent(stored)}:session:${config.issuer}|`, JSON.stringify({
        accessToken: 'at', tokenType: 'Bearer', expiresAt: Date.now() + 3_600_000, scope: 'openid', audience: null,
        idToken: 'id', claims: { iss: ISSUER, sub: 'u', aud: stored, exp: 0, iat: 0 }, refreshToken: null, sessionId: 's', generation: 0,
      }));
      const [logged] = mount({ issuer: ISSUER, 'client-id': stored, storage: 'session' });
      await until(() => logged!.authenticated);
      logged!.remove();
      await task();
      expect(openChannels(stored)).to.equal(1);
      document.body.append(logged!);
      await logged!.updateComplete;
      expect(logged!.authenticated).to.equal(true);
    } finally {
      window.BroadcastChannel = Original;
    }
  });

  it('reports an error response with auth-error, cleans the URL and shows the description as text', async () => {
    const clientId = freshClientId();
    const network = fakeFetch({ [`${ISSUER}.well-known/openid-configuration`]: () => json(metadata) });
    restoreFetch = stubFetch(network);
    const config = resolveConfig({ issuer: ISSUER, clientId }, location);
    const url = await startLogin(config, { returnTo: '/back' });
    const state = url.searchParams.get('state')!;
    history.replaceState(null, '', `${location.pathname}?error=access_denied&error_description=${encodeURIComponent('<b>No</b>')}&state=${state}&iss=${encodeURIComponent(ISSUER)}`);

    const errors: AuthErrorEvent[] = record('auth-error');
    const tokens = record('token');
    const [el] = mount({ issuer: ISSUER, 'client-id': clientId });
    await until(() => errors.length === 1);
    await settle(el!);
    expect(errors[0]!.detail.code).to.equal('access_denied');
    expect(location.pathname + location.search).to.equal('/back');
    expect(tokens).to.have.length(0);
    expect(el!.shadowRoot!.querySelector('[part=error]')!.textContent).to.equal('access_denied: <b>No</b>');
    expect(el!.shadowRoot!.querySelector('[part=error] b')).to.equal(null);
    expect(network.seen.some((r) => r.url === metadata.token_endpoint)).to.equal(false);
    expect(Object.keys(sessionStorage).some((k) => k.includes(':login:'))).to.equal(false);
  });

  it('keeps the answers that mean "not signed in silently" quiet: auth-error with the code, the Log in button, no error text', async () => {
    for (const code of ['login_required', 'interaction_required', 'consent_required', 'account_selection_required']) {
      const clientId = freshClientId();
      restoreFetch();
      restoreFetch = stubFetch(fakeFetch({ [`${ISSUER}.well-known/openid-configuration`]: () => json(metadata) }));
      const config = resolveConfig({ issuer: ISSUER, clientId }, location);
      const url = await startLogin(config, { returnTo: location.pathname });
      history.replaceState(null, '', `${location.pathname}?error=${code}&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(ISSUER)}`);
      const errors: AuthErrorEvent[] = record('auth-error');
      const [el] = mount({ issuer: ISSUER, 'client-id': clientId });
      await until(() => errors.length === 1);
      await settle(el!);
      expect(errors[0]!.detail.code).to.equal(code);
      expect(el!.shadowRoot!.querySelector('[part=error]'), code).to.equal(null);
      expect(el!.shadowRoot!.querySelector('[part~=login-button]')!.textContent!.trim(), code).to.equal('Log in');
      el!.remove();
    }
  });

  it('has a property and attribute for every configuration option, from the one list', () => {
    const declared = ClosoLogin.elementProperties;
    for (const [name, option] of Object.entries(OPTIONS)) {
      expect(declared.get(name)?.attribute, name).to.equal(option.attribute);
    }
    const [el] = mount({ issuer: ISSUER, 'client-id': 'x', 'popup-timeout': '45', mode: 'popup', dpop: 'required' });
    expect(el!.popupTimeout).to.equal(45);
    expect(el!.mode).to.equal('popup');
    expect(el!.dpop).to.equal('required');
    expect(el!.renewBefore, 'a default from the list').to.equal(OPTIONS.renewBefore.initial);
  });

  it('refuses popup-timeout="abc" as config_invalid, rather than timing out at once', async () => {
    const errors = record('auth-error');
    const [el] = mount({ issuer: ISSUER, 'client-id': freshClientId(), mode: 'popup', 'popup-timeout': 'abc' });
    await settle(el!);
    expect(errors.map((e) => e.detail.code)).to.deep.equal(['config_invalid']);
    expect(errors[0]!.detail.message).to.contain('popup-timeout');
  });

  it('reports a failed login to every element of the session, not only the one that started it', async () => {
    const network = fakeFetch({});
    restoreFetch = stubFetch(network);
    const clientId = freshClientId();
    const errors = record('auth-error');
    const elements = mount({ issuer: ISSUER, 'client-id': clientId }, 2);
    await settle(elements[0]!);
    const error = await elements[0]!.login({ authorizationParams: { state: 'forged' } }).then(() => null, (e: { code: string }) => e.code);
    expect(error).to.equal('config_invalid');
    expect(errors.map((e) => [e.target, e.detail.code])).to.deep.equal([[elements[0], 'config_invalid'], [elements[1], 'config_invalid']]);
    expect(network.seen).to.have.length(0);
  });
});
