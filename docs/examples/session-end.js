// Tells the user when their session ends: a warning before the access token stops working with
// nothing to renew it (the `expiring` event), and a note once the provider's session ceiling
// (Auth0's session_expiry) has ended it.
export function showSessionEnd(login, show) {
  login.addEventListener('token', (event) => {
    const ceiling = event.detail.claims.session_expiry;
    show(ceiling ? `Signed in until ${new Date(ceiling * 1000).toLocaleTimeString()}.` : 'Signed in.');
  });
  login.addEventListener('expiring', (event) => {
    show(`Your session ends in ${Math.round((event.detail.expiresAt - Date.now()) / 1000)} s: save your work.`);
  });
  login.addEventListener('logout', (event) => {
    if (event.detail.reason === 'session_ended') show('Your session has ended: please log in again.');
  });
}
