// What the flows of every engine share (engines.test.mjs, sites.test.mjs): their time limit, the
// events the page recorded (fixtures/recorder.js), and signing in at the local tenant's form.
import { DEMO_USER } from '../../../demo/servers/provider.mjs';

/** The time limit of one flow, in any engine on a busy machine. */
export const FLOW_MS = 90_000;

/** The element's events the page recorded (fixtures/recorder.js), of `type`. */
export const events = (tab, type) => tab.evaluate((t) => (window.__closoEvents ?? []).filter((e) => e.type === t), type);

/** Fills the local tenant's login form and sends it, once the tab shows it. */
export async function signIn(tab) {
  await tab.waitFor(() => location.pathname.startsWith('/u/login/') && document.readyState === 'complete' && !!document.querySelector('#email'), null, 15_000, 'the provider\'s login form')
    .catch(async (error) => {
      const state = await tab.evaluate(() => JSON.stringify({
        events: (window.__closoEvents ?? []).map((e) => `${e.detail?.code ?? e.type} at ${Math.round(e.at)}`),
        clicks: window.__clicks,
        busy: document.querySelector('closo-login')?.shadowRoot?.querySelector('button')?.getAttribute('aria-busy'),
        now: Math.round(performance.now()),
      })).catch(() => '?');
      throw new Error(`${error.message} (the tab is at ${await tab.url().catch(() => '?')}, ${state})`);
    });
  await tab.evaluate(([email, password]) => {
    document.querySelector('#email').value = email;
    document.querySelector('#password').value = password;
    document.querySelector('form button').click();
  }, [DEMO_USER.email, DEMO_USER.password]);
}
