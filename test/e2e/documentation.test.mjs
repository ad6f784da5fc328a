// The README documents what exists: every error code, attribute, part, slot and CSS property.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AUTHORIZATION_ERROR_CODES, ELEMENT_ERROR_CODES } from '../../dist/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const element = readFileSync(new URL('../../src/closo-login.ts', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every error code', () => {
    for (const code of [...ELEMENT_ERROR_CODES, ...AUTHORIZATION_ERROR_CODES]) assert.ok(readme.includes(`\`${code}\``), code);
  });

  it('documents every attribute, part, slot and CSS custom property of the element', () => {
    const attributes = [...element.matchAll(/attribute: '([a-z-]+)'/g)].map((m) => m[1]);
    const parts = [...element.matchAll(/@csspart ([a-z-]+)/g)].map((m) => m[1]);
    const slots = [...element.matchAll(/@slot ([a-z-]+)/g)].map((m) => m[1]);
    const properties = [...element.matchAll(/@cssproperty \[(--[a-z-]+)=/g)].map((m) => m[1]);
    assert.ok(attributes.length >= 10 && parts.length >= 5 && slots.length >= 3 && properties.length >= 5);
    for (const name of [...attributes, ...parts, ...slots, ...properties]) assert.ok(readme.includes(`\`${name}\``), name);
  });
});
