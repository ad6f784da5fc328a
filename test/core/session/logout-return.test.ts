import { expect } from '@esm-bundle/chai';
import { rememberLogoutState, takeLogoutReturn } from '../../../src/core/session/logout-return.js';

describe('logout-return', () => {
  const start = location.href;
  const here = location.pathname;
  afterEach(() => {
    history.replaceState(null, '', start);
    sessionStorage.removeItem('closo-login:c1:logout-state');
  });

  it('takes the state this tab sent out of the address bar on return, keeping the rest, once', () => {
    rememberLogoutState('c1', 'sent-state');
    history.replaceState(null, '', `${here}?tab=2&state=sent-state#top`);
    takeLogoutReturn('c1', location.href);
    expect(location.pathname + location.search + location.hash).to.equal(`${here}?tab=2#top`);
    expect(sessionStorage.getItem('closo-login:c1:logout-state')).to.equal(null);
  });

  it('leaves any other state alone: another value, another client, none sent, or an authorization response', () => {
    const cases: Array<[string, () => void]> = [
      [`${here}?state=other`, () => rememberLogoutState('c1', 'sent-state')],
      [`${here}?state=sent-state`, () => rememberLogoutState('c2', 'sent-state')],
      [`${here}?state=sent-state`, () => {}],
      [`${here}?code=c&state=sent-state`, () => rememberLogoutState('c1', 'sent-state')],
    ];
    for (const [url, setUp] of cases) {
      setUp();
      history.replaceState(null, '', url);
      takeLogoutReturn('c1', location.href);
      expect(location.pathname + location.search, url).to.equal(url);
      sessionStorage.removeItem('closo-login:c1:logout-state');
      sessionStorage.removeItem('closo-login:c2:logout-state');
    }
  });
});
