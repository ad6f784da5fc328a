/**
 * The element's configuration as framework templates see it (properties and dash-case attributes).
 * Derived from the class, so a new @property shows up here by itself; documentation.test.mjs
 * checks the result against custom-elements.json.
 */
import type { LitElement } from 'lit';
import type { ClosoLogin } from './closo-login.js';
import type { AuthErrorEvent, ExpiringEvent, LogoutEvent, TokenEvent } from './events.js';

type IfEqual<X, Y, Then, Else> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? Then : Else;

/** Public, writable, not a method, and not inherited from LitElement: what a page configures. */
type SettableKey<T> = {
  [K in keyof T]-?: T[K] extends (...args: never[]) => unknown
    ? never
    : IfEqual<{ [Q in K]: T[K] }, { -readonly [Q in K]: T[K] }, K, never>;
}[keyof T];

/** The element's configuration properties: `clientId`, `renewBefore`, `popupTimeout`, … */
export type ClosoLoginPropertyName = Exclude<SettableKey<ClosoLogin>, keyof LitElement>;

/** `clientId` → `client-id`: the element names every attribute after its property this way. */
type DashCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `-${Lowercase<Head>}`}${DashCase<Tail>}`
  : S;

/** Attribute values are text; numbers are converted, and objects take their attribute form (query string). */
export type ClosoLoginAttributeValue<T> = NonNullable<T> extends number
  ? number | string
  : NonNullable<T> extends boolean
    ? boolean
    : NonNullable<T> extends string
      ? NonNullable<T>
      : string;

export type ClosoLoginProperties = Partial<Pick<ClosoLogin, ClosoLoginPropertyName>>;

/** The dash-case attributes (`client-id`, `renew-before`, …); single-word ones are the properties above. */
export type ClosoLoginAttributes = {
  [K in ClosoLoginPropertyName as DashCase<K> extends K ? never : DashCase<K>]?: ClosoLoginAttributeValue<ClosoLogin[K]>;
};

export interface ClosoLoginEventHandlers {
  token: (event: TokenEvent) => void;
  'auth-error': (event: AuthErrorEvent) => void;
  logout: (event: LogoutEvent) => void;
  expiring: (event: ExpiringEvent) => void;
}
