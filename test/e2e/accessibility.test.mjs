// axe-core on the element in every state, in light and dark pages; focus and announcements.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const env = useStack();

/** Runs axe (WCAG 2.x A and AA, contrast included) on the element, shadow DOM included. */
async function violations(page) {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const result = await window.axe.run('closo-login', { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.failureSummary).join(' | ')}`);
  });
}

async function pageIn(colorScheme) {
  // bypassCSP only lets the test inject axe; the element runs as usual.
  const context = await env.newContext({ colorScheme, bypassCSP: true });
  return env.newPage(context);
}

for (const colorScheme of ['light', 'dark']) {
  describe(`accessibility, ${colorScheme} page`, () => {
    it('has no axe violations logged out, busy, logged in and in error', async () => {
      const page = await pageIn(colorScheme);
      await page.goto(`${env.origin}/fixtures/a11y.html`);
      const login = page.locator('closo-login');
      await login.getByRole('button', { name: 'Log in' }).waitFor();
      assert.deepEqual(await violations(page), [], 'logged out');

      // The token endpoint answers when the test has looked at the busy state: however slow the machine.
      let answer;
      env.provider.faults.token = { until: new Promise((resolve) => { answer = resolve; }) };
      await login.getByRole('button', { name: 'Log in' }).click();
      await logInAtProvider(page);
      const busyButton = login.getByRole('button', { name: 'Logging in…' });
      await busyButton.waitFor();
      assert.equal(await busyButton.getAttribute('aria-disabled'), 'true');
      assert.equal(await login.locator('[role=status]').textContent(), 'Logging in…', 'the busy state is announced');
      assert.equal(await busyButton.getAttribute('aria-busy'), 'true');
      // The live region must not sit inside a busy subtree, where screen readers may hold it back.
      assert.equal(await login.locator('[role=status]').evaluate((el) => el.closest('[aria-busy=true]')), null);
      assert.deepEqual(await violations(page), [], 'busy');
      answer();

      await waitForEvents(page, 'token');
      await login.getByRole('button', { name: 'Log out' }).waitFor();
      assert.deepEqual(await violations(page), [], 'logged in');

      await page.goto(`${env.origin}/fixtures/config-errors.html`);
      await page.locator('#no-client [part=error]').waitFor();
      assert.deepEqual(await violations(page), [], 'error');

      // With passkeys: their button, the email field (named) and the sign-up button.
      await page.goto(`${env.origin}/fixtures/a11y-passkeys.html`);
      await login.getByRole('textbox', { name: 'Email' }).waitFor();
      assert.deepEqual(await violations(page), [], 'passkeys');
    });
  });
}

describe('keyboard and focus', () => {
  it('is operable with the keyboard, and focus moves to the new button when the state flips', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/a11y.html`);
    await page.locator('closo-login').getByRole('button', { name: 'Log in' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.textContent?.trim()), 'Log in');
    await page.keyboard.press('Enter');
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    await page.locator('closo-login').getByRole('button', { name: 'Log out' }).focus();
    await page.locator('closo-login').evaluate((el) => el.logout({ localOnly: true }));
    await page.locator('closo-login').getByRole('button', { name: 'Log in' }).waitFor();
    await page.waitForFunction(() => document.activeElement?.shadowRoot?.activeElement?.textContent?.trim() === 'Log in');
  });
});
