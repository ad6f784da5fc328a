// Calls an API that may ask for a stronger login (RFC 9470): step up in a popup, then call it again.
export async function callSensitive(login) {
  try {
    return await login.fetch('/api/sensitive');
  } catch (error) {
    if (error.code !== 'step_up_required') throw error;
    await login.login({ popup: true, authorizationParams: { acr_values: error.stepUp.acrValues, prompt: 'login' } });
    return login.fetch('/api/sensitive');
  }
}
