import { Component, CUSTOM_ELEMENTS_SCHEMA, ElementRef, signal, ViewChild } from '@angular/core';
import type { ClosoLogin, AuthErrorEvent, LogoutEvent, TokenEvent } from 'closo-login';
import 'closo-login';

@Component({
  selector: 'app-root',
  // Lets Angular's template compiler accept <closo-login> and its properties and events.
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
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
    <button id="app-login" (click)="login.login()">Sign in from the app</button>
    <button id="app-token" (click)="getToken()">Get access token</button>
    <button id="app-logout" (click)="login.logout({ localOnly: true })">Sign out locally</button>
    <button id="app-bad" (click)="badLogin()">Bad login</button>
    <p id="status">{{ status() }}</p>
    <p id="token-info">{{ tokenInfo() }}</p>
  `,
})
export class AppComponent {
  readonly issuer = document.body.dataset['issuer'];
  readonly clientId = document.body.dataset['clientId'];
  readonly audience = document.body.dataset['audience'];
  readonly status = signal('logged out');
  readonly tokenInfo = signal('');
  @ViewChild('login', { static: true }) login!: ElementRef<ClosoLogin>;

  onToken(event: Event) { this.status.set(`token for ${(event as TokenEvent).detail.claims.sub}`); }
  onError(event: Event) { this.status.set(`error ${(event as AuthErrorEvent).detail.code}`); }
  onLogout(event: Event) { this.status.set(`logout ${(event as LogoutEvent).detail.reason}`); }

  async getToken() {
    this.tokenInfo.set(`access token of ${(await this.login.nativeElement.getAccessToken()).length} characters`);
  }

  badLogin() {
    this.login.nativeElement.login({ authorizationParams: { nonce: 'fixed' } }).catch(() => {});
  }
}
