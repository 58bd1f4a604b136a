// Sign-in with a provider in the web app, in headless Chromium: the provider's button on the sign-in
// screen, the provider's own login and consent pages (a real OpenID Connect provider, oidc-provider,
// in a process of its own), back through the gateway's callback to the app's landing, into the app,
// and a chat with a user who signed up with a password.
import type { Browser, Page } from 'playwright-core';
import { createSignInProviders } from '@parley/identity-providers';
import { launchBrowser, randomName } from '@parley/testing';
import { gatewayClients } from '../../gateway/test/gateway-clients';
import { startGatewayFixture, type GatewayFixture } from '../../gateway/test/gateway-fixture';
import {
  freePort,
  startTestIdentityProvider,
  type TestIdentityProvider,
} from '../../gateway/test/oidc-test-provider';
import { WEB_APP_BUILD, buildWebApp } from '../../../tools/stack/build-web';
import { SCREENSHOTS, browserPages } from './browser-pages';

const SECRET = 'browser-spec-client-secret';

describe('the web app: sign-in with a provider (oidc-provider, in Chromium)', () => {
  let fixture: GatewayFixture;
  let idp: TestIdentityProvider;
  let browser: Browser;
  const { newPage, closeAll, screenshot } = browserPages(
    () => browser,
    () => fixture.baseUrl,
  );
  const { register } = gatewayClients(() => fixture.baseUrl);

  /** At the provider's development pages: any login (its claims come from the provider's accounts). */
  const signInAtProvider = async (page: Page, login: string) => {
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
  };

  beforeAll(async () => {
    await buildWebApp();
    const [port, idpPort] = await Promise.all([freePort(), freePort()]);
    const base = `http://127.0.0.1:${port}`;
    idp = await startTestIdentityProvider({
      port: idpPort,
      clients: [
        { clientId: 'testid', clientSecret: SECRET, redirectUris: [`${base}/v1/auth/testid/callback`] },
      ],
      accounts: { ada: { name: 'Ada Lovelace', email: 'ada@example.com', email_verified: true } },
    });
    fixture = await startGatewayFixture('webprovider', {
      webAppDir: WEB_APP_BUILD,
      port,
      signIn: {
        providers: createSignInProviders([
          {
            kind: 'oidc',
            id: 'testid',
            name: 'Test ID',
            issuer: idp.issuer,
            clientId: 'testid',
            clientSecret: SECRET,
            scopes: ['openid', 'email', 'profile'],
          },
        ]),
        publicBaseUrl: base,
        mergeVerifiedEmail: false,
      },
    });
    browser = await launchBrowser();
  });

  afterEach(async () => {
    // Content-Security-Policy refusals and uncaught errors, from every page: none may happen.
    expect(await closeAll()).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await fixture?.dispose();
    await idp?.stop();
  });

  it('signs in with the provider’s button, lands in the app, and chats', async () => {
    const bob = await register('bob');
    const page = await newPage();
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const button = page.getByRole('link', { name: 'Continue with Test ID' });
    await button.waitFor();
    if (SCREENSHOTS) await screenshot(page, 'sign-in-providers');
    await button.click();

    // The provider's own pages, on its own origin.
    await page.waitForURL(`${idp.issuer}/**`);
    await signInAtProvider(page, 'ada');

    // Back in the app, signed in as the account the provider sign-in made.
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    // The one-time result left the address bar; the token is nowhere in a URL.
    expect(new URL(page.url()).hash).toBe('');
    const banner = page.getByRole('banner');
    expect(await banner.textContent()).toContain('@ada');

    await page.getByLabel('Start a chat with (username)').fill(bob.username);
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    await page.locator('#chat-heading').waitFor();
    const composer = page.getByRole('textbox', { name: 'Message' });
    await composer.fill('Hello from Test ID');
    await composer.press('Enter');
    await page.getByRole('log').locator('.message-text', { hasText: 'Hello from Test ID' }).waitFor();

    // A reload keeps the session, as for a password sign-in.
    await page.reload();
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
  });

  it('says why when a sign-in cannot be finished, and leads back to the sign-in screen', async () => {
    const page = await newPage();
    await page.goto(`/auth/callback#result=${randomName('x').padEnd(43, 'x').slice(0, 43)}`);
    await page.getByRole('heading', { name: 'Not signed in' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('This sign-in has expired');
    await page.getByRole('link', { name: 'Back to sign in' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });
});
