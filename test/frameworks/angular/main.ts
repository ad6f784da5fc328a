// JIT compilation keeps this fixture free of the Angular CLI; a production app compiles
// ahead of time with `ng build`, and the template above is the same either way.
import '@angular/compiler';
import { enableProdMode, provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { AppComponent } from './app.component';

enableProdMode();
bootstrapApplication(AppComponent, { providers: [provideZonelessChangeDetection()] }).catch((error) => console.error(error));
