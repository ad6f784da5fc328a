import { ClosoLogin } from './closo-login.js';

// Guarded: loading the script twice, or alongside another copy, must not throw.
ClosoLogin.define();
