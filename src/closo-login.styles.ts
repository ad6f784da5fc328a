/**
 * The element's styles: its parts and custom properties (documented in closo-login.ts's JSDoc
 * and docs/theming.md). Defaults follow the page's color-scheme (light-dark), at WCAG AA
 * contrast either way.
 */
import { css } from 'lit';

export const styles = css`
  :host {
    display: inline-block;
    font: var(--closo-login-font, inherit);
  }
  :host([hidden]),
  :host([headless]) {
    display: none;
  }
  [part~='base'] {
    display: inline-flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--closo-login-gap, 0.75em);
  }
  /* Defaults follow the page's color-scheme (light-dark), at WCAG AA contrast either way. */
  button {
    font: inherit;
    font-weight: 600;
    padding: 0.5em 1.1em;
    border: 1px solid transparent;
    border-radius: var(--closo-login-radius, 6px);
    background: var(--closo-login-accent, light-dark(#3e3ad6, #a9a7ff));
    color: var(--closo-login-accent-text, light-dark(#ffffff, #14133a));
    cursor: pointer;
  }
  button:focus-visible {
    outline: 2px solid var(--closo-login-accent, light-dark(#3e3ad6, #a9a7ff));
    outline-offset: 2px;
  }
  button[aria-disabled='true'] {
    cursor: progress;
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.6;
  }
  [part~='error'] {
    margin: 0;
    color: var(--closo-login-error-color, light-dark(#b00020, #ffb4ab));
    flex-basis: 100%;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;
