import { expect } from '@esm-bundle/chai';
import { readAuthorizationResponse, sameEndpoint } from '../src/authorization-response.js';

const here = `${location.origin}${location.pathname}`;

describe('readAuthorizationResponse', () => {
  it('recognises authorization responses in the query or, for rejection, the fragment', () => {
    expect(readAuthorizationResponse(`${here}?code=c&state=${'s'.repeat(43)}`)).to.include({ state: 's'.repeat(43), inFragment: false });
    expect(readAuthorizationResponse(`${here}#code=c&state=${'s'.repeat(43)}`)).to.include({ inFragment: true });
    expect(readAuthorizationResponse(`${here}?state=${'s'.repeat(43)}`)).to.equal(null);
    expect(readAuthorizationResponse(`${here}?code=c&state=short`)).to.include({ state: null, hasState: true });
    expect(readAuthorizationResponse(`${here}?code=c`)).to.include({ state: null, hasState: false });
    expect(readAuthorizationResponse('not a url')).to.equal(null);
  });

  it('treats tokens in the URL as a response to refuse, even without a code', () => {
    for (const name of ['access_token', 'id_token', 'token', 'refresh_token']) {
      expect(readAuthorizationResponse(`${here}#${name}=t&state=${'s'.repeat(43)}`), name).to.include({ inFragment: true, state: 's'.repeat(43) });
      expect(readAuthorizationResponse(`${here}?${name}=t`), name).to.include({ inFragment: false, hasState: false });
    }
  });
});

describe('sameEndpoint', () => {
  it('compares origin and path, not query or fragment', () => {
    expect(sameEndpoint('https://app.example.com/cb', new URL('https://app.example.com/cb?code=1#x'))).to.equal(true);
    expect(sameEndpoint('https://app.example.com/cb', new URL('https://app.example.com/other'))).to.equal(false);
    expect(sameEndpoint('https://app.example.com/cb', new URL('http://app.example.com/cb'))).to.equal(false);
    expect(sameEndpoint('not a url', new URL('https://app.example.com/cb'))).to.equal(false);
  });
});
