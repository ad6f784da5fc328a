// Glewlwyd's login page (webapp/login.html), as a user goes through it. It comes in steps:
// 1. "Please enter your login and password": Login, Password, OK (skipped when its session
//    cookie already names the user);
// 2. "Hello <name> / Connection to <client> / What do you wish for?": Continue, Logout, …;
// 3. "Grant access" to the client's scopes: never shown here, consent is given in advance
//    (glewlwyd-setup.mjs), as a user who had granted it once would see.
// Continue sends the browser back to the authorization endpoint, which redirects to the client.
// Its end-session page (the same login.html, prompt=end_session) asks to confirm: Logout or Stay connected.

/** How long each step may take to show, on a busy 2-core machine. */
const STEP_MS = 15_000;

/**
 * Logs `user` in on the login page that `page` is on, or is being sent to (a redirect, or a popup's
 * first load). Resolves once Continue is clicked; the caller waits for what the client does next.
 * @param {import('playwright').Page} page
 * @param {{ login: string, password: string }} user
 */
export async function logInAtGlewlwyd(page, user) {
  await page.waitForURL(/\/login\.html\?/, { timeout: STEP_MS });
  const loginField = page.getByLabel('Login', { exact: true });
  // Its name starts with the icon font's glyph (fork-awesome's ::before): matched by its end.
  const continueButton = page.getByRole('button', { name: /Continue$/ });
  // Either step may come first: the password form, or Continue for a session that knows the user.
  await loginField.or(continueButton).first().waitFor({ timeout: STEP_MS });
  if (await loginField.isVisible()) {
    await loginField.fill(user.login);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'OK', exact: true }).click();
  }
  await continueButton.click({ timeout: STEP_MS });
}

/**
 * Confirms the logout on the end-session page `page` is on, or is being sent to by RP-initiated
 * logout. Resolves once Glewlwyd has ended its session (the page's DELETE /api/auth/). Glewlwyd
 * then sends the browser to the post_logout_redirect_uri only if the logout request carried a
 * `state`; otherwise it shows "Session closed".
 * @param {import('playwright').Page} page
 */
export async function confirmLogoutAtGlewlwyd(page) {
  await page.waitForURL(/\/login\.html\?.*prompt=end_session/, { timeout: STEP_MS });
  const sessionEnded = page.waitForResponse((response) => response.request().method() === 'DELETE'
    && new URL(response.url()).pathname.replace(/\/$/, '').endsWith('/api/auth'), { timeout: STEP_MS });
  await page.getByRole('button', { name: /Logout$/ }).click({ timeout: STEP_MS });
  await sessionEnded;
}
