// From a click: log in, carrying where the user is. The app state travels with the login, not in the URL.
export function logInFromHere(login) {
  return login.login({ appState: { route: location.hash, draft: 42 } });
}

// On every page load (the callback page is a new page): put the user back where they were.
export function comeBackAfterLogin(restore) {
  document.addEventListener('token', (event) => {
    if (event.detail.appState) restore(event.detail.appState);
  });
}
