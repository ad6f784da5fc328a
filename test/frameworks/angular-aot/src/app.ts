import { Component, CUSTOM_ELEMENTS_SCHEMA, signal } from '@angular/core';
import type { AuthErrorEvent, ClosoLogin, LogoutEvent, TokenEvent } from 'closo-login';
import 'closo-login';

@Component({
  selector: 'app-root',
  // Lets Angular's template compiler accept <closo-login> and its properties and events.
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
  // #login is the element itself, typed ClosoLogin (HTMLElementTagNameMap), and $event is typed
  // by HTMLElementEventMap: strictTemplates checks both. A listener on the element runs change
  // detection, so login.authenticated and login.user are read again after each event.
  template: `
    <closo-login
      #login
      [issuer]="issuer"
      [attr.audience]="audience"
      [clientId]="clientId"
      renew-before="45"
      (token)="onToken($event)"
      (auth-error)="onError($event)"
      (logout)="onLogout($event)"
    ></closo-login>
    @if (login.authenticated) {
      <p id="user">Signed in as {{ login.user?.name }}</p>
    } @else {
      <p id="user">Signed out</p>
    }
    <button id="app-login" (click)="login.login()">Sign in from the app</button>
    <button id="app-token" (click)="getToken(login)">Get access token</button>
    <button id="app-logout" (click)="login.logout({ localOnly: true })">Sign out locally</button>
    <button id="app-bad" (click)="badLogin(login)">Bad login</button>
    <p id="status">{{ status() }}</p>
    <p id="token-info">{{ tokenInfo() }}</p>
  `,
})
export class App {
  readonly issuer = document.body.dataset['issuer'];
  readonly clientId = document.body.dataset['clientId'];
  readonly audience = document.body.dataset['audience'];
  readonly status = signal('logged out');
  readonly tokenInfo = signal('');

  onToken(event: TokenEvent) { this.status.set(`token for ${event.detail.claims.sub}`); }
  onError(event: AuthErrorEvent) { this.status.set(`error ${event.detail.code}`); }
  onLogout(event: LogoutEvent) { this.status.set(`logout ${event.detail.reason}`); }

  async getToken(login: ClosoLogin) {
    this.tokenInfo.set(`access token of ${(await login.getAccessToken()).length} characters`);
  }

  badLogin(login: ClosoLogin) {
    login.login({ authorizationParams: { nonce: 'fixed' } }).catch(() => {});
  }
}
