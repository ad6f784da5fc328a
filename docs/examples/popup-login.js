// From a click: log in in a popup, keeping the page as it is. It finishes whatever
// Cross-Origin-Opener-Policy the provider's pages or this app's pages send.
export async function logInInPopup(login, show) {
  try {
    const tokens = await login.login({ popup: true });
    if (tokens) show(`Welcome, ${tokens.claims.name}.`);
  } catch (error) {
    if (error.code === 'popup_blocked') show('Allow popups for this site to log in.');
    else if (error.code === 'popup_closed') show('The login window was closed.');
    else show(error.message);
  }
}
