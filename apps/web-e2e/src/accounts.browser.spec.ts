// The web app's account screens in headless Chromium, served by a gateway node on the real stack
// (its own topics and database), as `npm start` serves it at `/`.
import type { Browser, Page } from 'playwright-core';
import { credentialsProjection, usersProjection } from '@parley/read-models';
import { launchBrowser, randomName } from '@parley/testing';
import { startGatewayFixture, type GatewayFixture } from '../../gateway/test/gateway-fixture';
import { WEB_APP_BUILD, buildWebApp } from '../../../tools/stack/build-web';
import { SCREENSHOTS, browserPages } from './browser-pages';

const PHONE = { width: 375, height: 667 };
const PASSWORD = 'correct horse battery';

describe('the web app: accounts (served by the gateway, in Chromium)', () => {
  let fixture: GatewayFixture;
  let browser: Browser;
  const { newPage, closeAll, screenshot } = browserPages(
    () => browser,
    () => fixture.baseUrl,
  );

  /** A username no other test takes (each run has a database of its own). */
  const uniqueUsername = () => randomName('u').toLowerCase().slice(0, 24);

  const signUp = async (page: Page, username: string, displayName = '') => {
    await page.goto('/sign-up');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Display name').fill(displayName);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
  };

  /** The texts that describe an input (aria-describedby), as a screen reader reads them with it. */
  const descriptionOf = (page: Page, label: string) =>
    page.getByLabel(label).evaluate((input) =>
      (input.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' '),
    );

  const hasHorizontalScroll = (page: Page) =>
    page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);

  beforeAll(async () => {
    // `npm test` built it already (then this only compares times); a lone run of this spec builds it.
    await buildWebApp();
    fixture = await startGatewayFixture('web', {
      // Sign-in reads the credentials the projector writes.
      projections: [usersProjection, credentialsProjection],
      delivery: false,
      webAppDir: WEB_APP_BUILD,
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
  });

  it('serves the app at / and the API beside it', async () => {
    const page = await fetch(`${fixture.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain(
      `connect-src 'self' ws://127.0.0.1:${fixture.port}`,
    );
    expect(await page.text()).toContain('<div id="root">');
    // The API, the health check and the operators' paths answer as before, not with the app.
    const me = await fetch(`${fixture.baseUrl}/v1/users/me`);
    expect([me.status, ((await me.json()) as { error: { code: string } }).error.code]).toEqual([
      401,
      'TOKEN_MISSING',
    ]);
    expect((await fetch(`${fixture.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${fixture.baseUrl}/readyz`)).status).toBe(404);
  });

  it('signs up, stays signed in across a reload, signs out, and signs in again', async () => {
    const page = await newPage();
    await page.goto('/');
    // Signed out, the app's address leads to the sign-in screen.
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    if (SCREENSHOTS) await screenshot(page, 'sign-in');

    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await signUp(page, 'ada', 'Ada Lovelace');
    expect(new URL(page.url()).pathname).toBe('/');
    const banner = page.getByRole('banner');
    expect(await banner.textContent()).toContain('Ada Lovelace');
    expect(await banner.textContent()).toContain('@ada');
    // The chat screens are loaded on demand: they are there once their chunk has arrived.
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
    await page.getByRole('main', { name: 'Chat' }).waitFor();
    if (SCREENSHOTS) {
      await screenshot(page, 'app-shell');
      await page.setViewportSize(PHONE);
      await screenshot(page, 'app-shell-phone');
      await page.setViewportSize({ width: 1280, height: 800 });
    }

    await page.reload();
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    expect(await banner.textContent()).toContain('@ada');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => window.localStorage.length)).toBe(0);
    // The back button does not lead into the app once signed out.
    await page.goBack();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    await page.getByLabel('Username').fill('ada');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    expect(await banner.textContent()).toContain('@ada');
  });

  it('says so when the password is wrong, and stays on the sign-in screen', async () => {
    const page = await newPage();
    const username = uniqueUsername();
    await signUp(page, username);
    await page.getByRole('button', { name: 'Sign out' }).click();

    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'Wrong username or password.' }).waitFor();
    expect(await alert.getAttribute('aria-live')).toBe('assertive');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.evaluate(() => window.localStorage.length)).toBe(0);
  });

  it("shows the server's refusals next to their fields, and moves the focus there", async () => {
    const page = await newPage();
    await page.goto('/sign-up');
    await page.getByLabel('Username').fill('No Capitals');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    const username = page.getByLabel('Username');
    await page.getByText('Username must be 3 to 32 of a-z 0-9 _ . -').waitFor();
    expect(await username.getAttribute('aria-invalid')).toBe('true');
    expect(await descriptionOf(page, 'Username')).toContain('Username must be 3 to 32');
    expect(await username.evaluate((input) => input === document.activeElement)).toBe(true);
    if (SCREENSHOTS) await screenshot(page, 'sign-up-refused');

    await username.fill(uniqueUsername());
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Password must be 8 to 256 characters.').waitFor();
    // The fixed field no longer says it is wrong.
    expect(await username.getAttribute('aria-invalid')).toBeNull();
    expect(await descriptionOf(page, 'Password')).toContain('Password must be 8 to 256 characters.');

    await username.fill('ada-taken');
    await page.getByLabel('Password').fill(PASSWORD);
    const other = await newPage();
    await signUp(other, 'ada-taken');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('This username is taken. Choose another one.').waitFor();
    expect(await descriptionOf(page, 'Username')).toContain('taken');
  });

  it('works with the keyboard alone, with a visible focus', async () => {
    const username = uniqueUsername();
    await signUp(await newPage(), username);
    const page = await newPage();
    await page.goto('/sign-in');
    const focused = () =>
      page.evaluate(() => {
        const element = document.activeElement as HTMLElement;
        return {
          label: element.getAttribute('name') ?? element.textContent,
          outline: getComputedStyle(element).outlineStyle,
        };
      });
    // The username field has the focus from the start (once the app has started).
    await page.getByLabel('Username').waitFor();
    expect(await focused()).toEqual({ label: 'username', outline: expect.any(String) as string });
    await page.keyboard.type(username);
    await page.keyboard.press('Tab');
    expect(await focused()).toEqual({ label: 'password', outline: 'solid' });
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Tab');
    expect(await focused()).toEqual({ label: 'Sign in', outline: 'solid' });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    // The new screen's heading has the focus; sign out is one step back.
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toEqual({ label: 'Sign out', outline: 'solid' });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('gives every input a label', async () => {
    const page = await newPage();
    for (const [path, labels] of [
      ['/sign-in', ['Username', 'Password']],
      ['/sign-up', ['Username', 'Display name', 'Password']],
    ] as const) {
      await page.goto(path);
      await page.getByLabel('Username').waitFor();
      // Each input's accessible name, from its <label> or ARIA: none may be without one.
      const names = await page.locator('input, select, textarea').evaluateAll((inputs) =>
        inputs.map((input) =>
          [
            ...((input as HTMLInputElement).labels ?? []),
            ...(input.getAttribute('aria-labelledby') ?? '')
              .split(' ')
              .map((id) => document.getElementById(id)),
          ]
            .map((label) => label?.textContent?.trim() ?? '')
            .concat(input.getAttribute('aria-label') ?? '')
            .join('')
            .trim(),
        ),
      );
      expect({ path, names }).toEqual({ path, names: [...labels] });
      for (const label of labels) expect(await page.getByLabel(label, { exact: true }).count()).toBe(1);
    }
  });

  it('fits a 375 px wide phone without scrolling sideways', async () => {
    const page = await newPage(PHONE);
    await page.goto('/sign-in');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await hasHorizontalScroll(page)).toBe(false);

    await page.goto('/sign-up');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Username must be 3 to 32').waitFor();
    expect(await hasHorizontalScroll(page)).toBe(false);

    // The longest username there can be, and a display name without spaces to break at.
    await signUp(page, 'z'.repeat(32), 'W'.repeat(64));
    expect(await hasHorizontalScroll(page)).toBe(false);
  });

  it('shows a banner while the browser is offline', async () => {
    const page = await newPage();
    await signUp(page, uniqueUsername());
    const offline = page.getByRole('status').filter({ hasText: 'You are offline' });
    expect(await offline.count()).toBe(0);
    await page.context().setOffline(true);
    await offline.waitFor();
    await page.context().setOffline(false);
    await offline.waitFor({ state: 'detached' });
  });
});
