import { ClosoLogin } from './closo-login.js';

// Guarded: loading the script twice, or alongside another copy, must not throw; and on a
// server (SSR: Nuxt, SvelteKit, Next, Angular Universal) there is no registry to define in.
if (typeof customElements !== 'undefined') ClosoLogin.define();
