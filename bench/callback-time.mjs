// Measures the time from landing on the redirect URL to the `token` event, in headless
// Chromium against the local provider, on the demo page with the drop-in file.
//   npm run bench:callback            (15 runs)
//   RUNS=40 npm run bench:callback
// "Landing" is the navigation entry's fetchStart for the callback URL (after the
// provider's redirects); the end is performance.now() inside the token listener.
import { DEMO_USER } from '../demo/servers/provider.mjs';
import { startStack } from '../demo/servers/stack.mjs';
import { launchChromium } from '../test/support/browser.mjs';

const runs = Number(process.env.RUNS ?? 15);
const stack = await startStack();
const browser = await launchChromium();
const samples = [];

try {
  for (let i = 0; i < runs + 1; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.addEventListener('token', () => { window.__tokenAt = performance.now(); }, true);
    });
    await page.goto(`${stack.demo.origin}/`);
    await page.locator('closo-login').getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/u\/login\//);
    await page.getByLabel('Email').fill(DEMO_USER.email);
    await page.getByLabel('Password').fill(DEMO_USER.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForFunction(() => window.__tokenAt !== undefined);
    const ms = await page.evaluate(() => window.__tokenAt - performance.getEntriesByType('navigation')[0].fetchStart);
    if (i > 0) samples.push(ms); // the first run warms up the provider and the browser
    await context.close();
  }
} finally {
  await browser.close();
  await stack.close();
}

samples.sort((a, b) => a - b);
const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
const fmt = (n) => `${n.toFixed(1)} ms`;
console.log(`redirect URL → token event, ${samples.length} runs (Chromium ${browser.version()}, drop-in dist/closo-login.min.js):`);
console.log(`  median ${fmt(at(0.5))}   min ${fmt(samples[0])}   p90 ${fmt(at(0.9))}   max ${fmt(samples.at(-1))}`);
