/**
 * Svelte 5 typings: `import type {} from 'closo-login/svelte'` once, and <closo-login> type-checks
 * (svelte-check) with its properties, dash-case attributes and `ontoken` / `onauth-error` / `onlogout` / `onexpiring`.
 */
import type { HTMLAttributes } from 'svelte/elements';
import type { ClosoLogin } from './closo-login.js';
import type { ClosoLoginAttributes, ClosoLoginEventHandlers, ClosoLoginProperties } from './framework-props.js';

type SvelteClosoLoginProps = HTMLAttributes<ClosoLogin> & ClosoLoginProperties & ClosoLoginAttributes & {
  ontoken?: ClosoLoginEventHandlers['token'];
  'onauth-error'?: ClosoLoginEventHandlers['auth-error'];
  onlogout?: ClosoLoginEventHandlers['logout'];
  onexpiring?: ClosoLoginEventHandlers['expiring'];
};

declare module 'svelte/elements' {
  interface SvelteHTMLElements {
    'closo-login': SvelteClosoLoginProps;
  }
}

export type { SvelteClosoLoginProps };
