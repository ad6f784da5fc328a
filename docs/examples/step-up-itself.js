// With interactive-errors="popup": from a click, call an API that may ask for a stronger login.
// The element steps up in a popup by itself, and the call resolves with the API's answer.
export async function openSensitive(login) {
  const response = await login.fetch('/api/sensitive');
  return response.json();
}
