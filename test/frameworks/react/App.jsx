import { useRef, useState } from 'react';
import 'closo-login';

export function App() {
  const { issuer, clientId, audience } = document.body.dataset;
  const login = useRef(null);
  const [status, setStatus] = useState('logged out');
  const [tokenInfo, setTokenInfo] = useState('');

  const getToken = async () => setTokenInfo(`access token of ${(await login.current.getAccessToken()).length} characters`);

  // React 19 sets known properties (clientId) as properties and the rest as attributes,
  // and turns on<event> props into listeners for custom elements: ontoken, onauth-error, onlogout.
  return (
    <>
      <closo-login
        ref={login}
        issuer={issuer}
        audience={audience}
        clientId={clientId}
        renew-before="45"
        ontoken={(event) => setStatus(`token for ${event.detail.claims.sub}`)}
        onauth-error={(event) => setStatus(`error ${event.detail.code}`)}
        onlogout={(event) => setStatus(`logout ${event.detail.reason}`)}
      />
      <button id="app-login" onClick={() => login.current.login()}>Sign in from the app</button>
      <button id="app-token" onClick={getToken}>Get access token</button>
      <button id="app-logout" onClick={() => login.current.logout({ localOnly: true })}>Sign out locally</button>
      <button id="app-bad" onClick={() => login.current.login({ authorizationParams: { nonce: 'fixed' } }).catch(() => {})}>Bad login</button>
      <p id="status">{status}</p>
      <p id="token-info">{tokenInfo}</p>
    </>
  );
}
