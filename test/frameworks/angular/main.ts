// The same component as the ahead-of-time app (../angular-aot/src/app.ts), compiled just in time in
// the page: one component, both compilers. JIT keeps this build free of the Angular CLI; a
// production app compiles ahead of time with `ng build`, as angular-aot does.
import '@angular/compiler';
import { enableProdMode, provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { App } from '../angular-aot/src/app';

enableProdMode();
bootstrapApplication(App, { providers: [provideZonelessChangeDetection()] }).catch((error) => console.error(error));
