/**
 * Vue 3 typings: `import type {} from 'closo-login/vue'` once, and <closo-login> type-checks in
 * templates (vue-tsc / Volar) with its properties and `@token`, `@auth-error`, `@logout`, `@expiring`.
 * Also tell the compiler it is a custom element: `isCustomElement: (tag) => tag === 'closo-login'`.
 */
import type { DefineComponent } from 'vue';
import type { ClosoLogin } from './closo-login.js';
import type { ClosoLoginAttributeValue, ClosoLoginEventHandlers, ClosoLoginPropertyName } from './framework-props.js';

/**
 * Vue's tools check `renew-before="45"` against the `renewBefore` property, so each property
 * also takes its attribute form: the text Vue sets as the attribute.
 */
type VueClosoLoginProps = { [K in ClosoLoginPropertyName]?: ClosoLogin[K] | ClosoLoginAttributeValue<ClosoLogin[K]> } & {
  onToken?: ClosoLoginEventHandlers['token'];
  onAuthError?: ClosoLoginEventHandlers['auth-error'];
  onLogout?: ClosoLoginEventHandlers['logout'];
  onExpiring?: ClosoLoginEventHandlers['expiring'];
};

declare module 'vue' {
  interface GlobalComponents {
    'closo-login': DefineComponent<VueClosoLoginProps>;
  }
}

export type { VueClosoLoginProps };
