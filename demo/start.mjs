// npm start: the demo on http://localhost:3000 (the guide's callback host) and the local
// Auth0-like provider on http://localhost:3001/.
//
// To use a real Auth0 tenant instead, set AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_AUDIENCE,
// and register http://localhost:3000/callback in the application's Allowed Callback URLs.
import { DEFAULT_AUDIENCE, DEMO_USER } from './servers/provider.mjs';
import { startDemoServer } from './servers/demo-server.mjs';
import { startStack } from './servers/stack.mjs';

const port = Number(process.env.PORT ?? 3000);
const providerPort = Number(process.env.PROVIDER_PORT ?? 3001);

let demo;
let issuer;
let clientId;
let audience;
if (process.env.AUTH0_DOMAIN) {
  issuer = `https://${process.env.AUTH0_DOMAIN.replace(/^https:\/\//, '').replace(/\/+$/, '')}/`;
  clientId = process.env.AUTH0_CLIENT_ID;
  audience = process.env.AUTH0_AUDIENCE ?? DEFAULT_AUDIENCE;
  if (!clientId) {
    console.error('AUTH0_CLIENT_ID is required with AUTH0_DOMAIN.');
    process.exit(1);
  }
  demo = await startDemoServer({ port, host: 'localhost', issuer, clientId, audience });
} else {
  const stack = await startStack({ port, providerPort, host: 'localhost' });
  ({ demo } = stack);
  ({ issuer, clientId } = stack.provider);
  audience = DEFAULT_AUDIENCE;
}

console.log(`
  closo-login demo   ${demo.origin}/
  Passkeys           ${demo.origin}/passkeys${process.env.AUTH0_DOMAIN ? '  (needs a tenant with passkeys: docs/passkeys.md)' : ''}
  OpenID Provider    ${issuer}${process.env.AUTH0_DOMAIN ? '' : `  (local; user ${DEMO_USER.email} / ${DEMO_USER.password})`}
  Client ID          ${clientId}
  Audience           ${audience}

  Ctrl+C to stop.
`);
