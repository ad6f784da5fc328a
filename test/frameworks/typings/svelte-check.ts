// Type-checked (npm run typecheck), never run: the attributes svelte-check accepts on <closo-login>.
import type { SvelteHTMLElements } from 'svelte/elements';
import type {} from '../../../src/svelte.js';

export const ok: SvelteHTMLElements['closo-login'] = {
  clientId: 'abc',
  'renew-before': 45,
  ontoken: (event) => event.detail.accessToken,
  'onauth-error': (event) => event.detail.code,
};

// @ts-expect-error not a storage mode
export const badStorage: SvelteHTMLElements['closo-login'] = { storage: 'cookie' };
