/**
 * Vue 3 typings: `import type {} from 'closo-login/vue'` once, and <closo-login> type-checks in
 * templates (vue-tsc / Volar) with its properties and `@token`, `@auth-error`, `@logout`.
 * Also tell the compiler it is a custom element: `isCustomElement: (tag) => tag === 'closo-login'`.
 */
import type { DefineComponent } from 'vue';
import type { ClosoLoginEventHandlers, ClosoLoginProperties } from './framework-props.js';

type VueClosoLoginProps = ClosoLoginProperties & {
  onToken?: ClosoLoginEventHandlers['token'];
  onAuthError?: ClosoLoginEventHandlers['auth-error'];
  onLogout?: ClosoLoginEventHandlers['logout'];
};

declare module 'vue' {
  interface GlobalComponents {
    'closo-login': DefineComponent<VueClosoLoginProps>;
  }
}

export type { VueClosoLoginProps };
