// Type-checked (npm run typecheck), never run: the props Vue's language tools see for <closo-login>.
import type { GlobalComponents } from 'vue';
import type {} from '../../../src/vue.js';

type Props = InstanceType<GlobalComponents['closo-login']>['$props'];

export const ok: Props = {
  clientId: 'abc',
  storage: 'local',
  onToken: (event) => event.detail.accessToken,
  onAuthError: (event) => event.detail.code,
};

// @ts-expect-error not a storage mode
export const badStorage: Props = { storage: 'cookie' };
