/**
 * React 19 typings: `import type {} from 'closo-login/react'` once, and <closo-login> type-checks
 * in JSX with its properties, dash-case attributes and `ontoken` / `onauth-error` / `onlogout` / `onexpiring`
 * listeners (React 19 adds custom-element listeners for on<event> props).
 */
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { ClosoLogin } from './closo-login.js';
import type { ClosoLoginAttributes, ClosoLoginEventHandlers, ClosoLoginProperties } from './framework-props.js';

type ReactClosoLoginProps = DetailedHTMLProps<HTMLAttributes<ClosoLogin>, ClosoLogin> & ClosoLoginProperties & ClosoLoginAttributes & {
  ontoken?: ClosoLoginEventHandlers['token'];
  'onauth-error'?: ClosoLoginEventHandlers['auth-error'];
  onlogout?: ClosoLoginEventHandlers['logout'];
  onexpiring?: ClosoLoginEventHandlers['expiring'];
};

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      'closo-login': ReactClosoLoginProps;
    }
  }
}

export type { ReactClosoLoginProps };
