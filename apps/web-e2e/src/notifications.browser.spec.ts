// Web Push in the web app, in headless Chromium: the notifications switch (permission, service
// worker, subscription registered with the gateway), the notifier sending to a push service this
// spec starts (it checks VAPID and decrypts), and the service worker showing what arrives and
// opening the conversation on a click.
//
// What headless Chromium cannot do here, and how the spec stands in: it has no push service
// (`pushManager.subscribe` is refused), so the page's PushManager is replaced by one that answers
// the spec's push service subscription; the push service cannot reach the browser, so the spec
// hands the message it decrypted to the service worker through CDP
// (`ServiceWorker.deliverPushMessage`); and CDP cannot click a notification, so the spec dispatches
// a `notificationclick` in the service worker (a constructed event: the worker tells the open window
// which conversation to open; `clients.openWindow` and `focus`, which need a real click, are not
// covered, and the URL a new window would open is checked by loading it).
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { WebPushSender, loadVapidKeys, startNotifier, type Notifier, type VapidKeys } from '@parley/push';
import {
  PushServiceReceiver,
  launchBrowser,
  randomName,
  type BrowserSubscriptionJson,
} from '@parley/testing';
import { directConversationId } from '@parley/domain';
import { gatewayClients, type TestUser } from '../../gateway/test/gateway-clients';
import { startGatewayFixture, type GatewayFixture } from '../../gateway/test/gateway-fixture';
import { WEB_APP_BUILD, buildWebApp } from '../../../tools/stack/build-web';
import { SCREENSHOTS, browserPages } from './browser-pages';

const GRACE_MS = 10 * 60_000;
const PASSWORD = 'correct horse battery';

/** The page's PushManager, answering the spec's push service subscription (headless has no push service). */
function fakePushManager(subscription: BrowserSubscriptionJson): void {
  const KEY = 'spec.fake-push-subscription';
  const make = (serverKey: ArrayBuffer) => ({
    endpoint: subscription.endpoint,
    expirationTime: null,
    options: { applicationServerKey: serverKey, userVisibleOnly: true },
    toJSON: () => subscription,
    unsubscribe: () => {
      window.localStorage.removeItem(KEY);
      return Promise.resolve(true);
    },
  });
  const kept = () => {
    const key = window.localStorage.getItem(KEY);
    return key === null ? null : make(Uint8Array.from(JSON.parse(key) as number[]).buffer);
  };
  PushManager.prototype.subscribe = function (options?: PushSubscriptionOptionsInit) {
    const key = new Uint8Array(options?.applicationServerKey as ArrayBuffer);
    window.localStorage.setItem(KEY, JSON.stringify([...key]));
    return Promise.resolve(kept() as unknown as PushSubscription);
  };
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(kept() as unknown as PushSubscription | null);
  };
}

describe('the web app: notifications (Web Push, service worker)', () => {
  let fixture: GatewayFixture;
  let browser: Browser;
  let receiver: PushServiceReceiver;
  let keys: VapidKeys;
  let notifier: Notifier;
  let ahead = 0;
  const { call, waitFor } = gatewayClients(() => fixture.baseUrl);
  const { newPage, closeAll, screenshot } = browserPages(
    () => browser,
    () => fixture.baseUrl,
  );

  const pendingOf = async (userId: string) =>
    (
      await fixture.pool.query<{ done: boolean }>(
        'SELECT done_at IS NOT NULL AS done FROM push_pending WHERE user_id = $1',
        [userId],
      )
    ).rows;

  /** The token the app keeps in localStorage (PROTOCOL §1), to ask the API what the app did. */
  const tokenOf = (page: Page) =>
    page.evaluate(
      () => (JSON.parse(window.localStorage.getItem('parley.session') ?? '{}') as { token: string }).token,
    );

  /** The service worker's registrations as CDP reports them. */
  const registrationsOf = async (cdp: CDPSession) => {
    const registrations = new Map<string, string>();
    cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => {
      for (const r of event.registrations)
        if (r.isDeleted) registrations.delete(r.scopeURL);
        else registrations.set(r.scopeURL, r.registrationId);
    });
    await cdp.send('ServiceWorker.enable');
    return registrations;
  };

  /** The service worker's global scope, as far as these specs use it (the DOM's types lack it). */
  type WorkerScope = { readonly registration: ServiceWorkerRegistration };

  const notificationsShown = (context: BrowserContext) =>
    context.serviceWorkers()[0]!.evaluate(async () =>
      (await (self as unknown as WorkerScope).registration.getNotifications()).map((n) => ({
        title: n.title,
        body: n.body,
        tag: n.tag,
        data: n.data as unknown,
      })),
    );

  beforeAll(async () => {
    await buildWebApp();
    fixture = await startGatewayFixture('webpush', {
      webAppDir: WEB_APP_BUILD,
      presence: { sessionTtlMs: 3_000, offlineGraceMs: 500 },
    });
    receiver = await new PushServiceReceiver().start();
    keys = (await loadVapidKeys(fixture.pool, { subject: 'mailto:tests@parley.invalid' })).keys;
    receiver.expectKey(keys.publicKey);
    notifier = await startNotifier({
      kafka: fixture.world.kafka,
      pool: fixture.pool,
      redis: fixture.redis,
      serde: fixture.serde,
      deadLetters: fixture.producer,
      topicPrefix: fixture.world.prefix,
      redisKeyPrefix: fixture.world.prefix,
      transport: new WebPushSender({ keys, timeoutMs: 5_000, allowLoopbackHttp: true }),
      rules: { graceMs: GRACE_MS, collapseWindowMs: GRACE_MS },
      retry: { maxAttempts: 3, initialMs: 200, maxMs: 2_000 },
      ttlSeconds: 600,
      now: () => Date.now() + ahead,
      tickMs: 100,
    });
    await waitFor(() => notifier.consumers.every((c) => c.progress().state === 'running'));
    browser = await launchBrowser();
  });

  afterEach(async () => {
    expect(await closeAll()).toEqual([]);
    expect(receiver.problems).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await notifier?.stop();
    await receiver?.close();
    await fixture?.dispose();
  });

  it('given notifications turned on, then an offline user’s burst arrives as one notification the service worker shows, and its click opens the conversation', async () => {
    const adaName = randomName('ada').toLowerCase().slice(0, 24);
    const registered = await call('POST', '/v1/auth/register', undefined, {
      username: adaName,
      password: PASSWORD,
      displayName: 'Ada Lovelace',
    });
    const ada = registered.body as TestUser;
    const subscription = receiver.subscribe();

    const page = await newPage();
    const context = page.context();
    await context.grantPermissions(['notifications'], { origin: fixture.baseUrl });
    await context.addInitScript(fakePushManager, subscription);
    const cdp = await context.newCDPSession(page);
    const registrations = await registrationsOf(cdp);

    const bobName = randomName('bob').toLowerCase().slice(0, 24);
    await page.goto('/sign-up');
    await page.getByLabel('Username').fill(bobName);
    await page.getByLabel('Display name').fill('Bob Babbage');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    const notify = page.getByRole('switch', { name: 'Notify me of new messages while Parley is closed' });
    await notify.waitFor();
    expect(await notify.isChecked()).toBe(false);

    await notify.click();
    await page.getByRole('status').filter({ hasText: 'Notifications are on in this browser.' }).waitFor();
    expect(await notify.isChecked()).toBe(true);
    if (SCREENSHOTS) await screenshot(page, 'notifications-on');
    const token = await tokenOf(page);
    const bobId = (await call('GET', '/v1/users/me', token)).body.userId as string;
    const listed = await call('GET', '/v1/push/subscriptions', token);
    expect(listed.body.subscriptions.map((s: { endpoint: string }) => s.endpoint)).toEqual([
      subscription.endpoint,
    ]);
    // The switch reads the same after a reload (the browser's subscription and Parley's agree).
    await page.reload();
    await notify.waitFor();
    await waitFor(() => notify.isChecked(), { what: 'the switch on after a reload' });
    const registrationId = registrations.get(`${fixture.baseUrl}/`);
    expect(registrationId).toBeDefined();

    // Bob closes Parley: offline once the grace is over.
    await page.goto('about:blank');
    await waitFor(
      async () => (await call('GET', `/v1/users/${bobId}/presence`, ada.token)).body.status === 'offline',
      {
        what: 'Bob offline',
      },
    );
    for (const text of ['Are you coming tonight?', 'Dinner is at 8']) {
      const sent = await call('POST', '/v1/messages', ada.token, {
        messageId: randomUUID(),
        recipientId: bobId,
        text,
      });
      expect(sent.status).toBe(202);
    }
    await waitFor(async () => (await pendingOf(bobId)).length === 2, { what: 'two pending messages' });
    ahead += GRACE_MS;
    await waitFor(
      async () =>
        (await pendingOf(bobId)).every((r) => r.done) && receiver.receivedBy(subscription).length > 0,
      {
        what: 'the notification',
      },
    );
    const [push] = receiver.receivedBy(subscription);
    expect(receiver.receivedBy(subscription)).toHaveLength(1);
    const conversationId = directConversationId(ada.userId, bobId);
    expect(push!.payload).toMatchObject({
      conversationId,
      title: 'Ada Lovelace',
      body: 'Dinner is at 8 (+1 more)',
    });

    // The push service hands it to the browser (here: CDP); the service worker shows it.
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: fixture.baseUrl,
      registrationId: registrationId!,
      data: JSON.stringify(push!.payload),
    });
    await waitFor(
      async () => context.serviceWorkers().length > 0 && (await notificationsShown(context)).length === 1,
      {
        what: 'the notification shown',
      },
    );
    expect(await notificationsShown(context)).toEqual([
      {
        title: 'Ada Lovelace',
        body: 'Dinner is at 8 (+1 more)',
        tag: `parley:${conversationId}`,
        data: { conversationId, url: `/?conversation=${encodeURIComponent(conversationId)}` },
      },
    ]);

    // Bob opens Parley and clicks the notification: the open window shows Ada's chat.
    await page.goto('/');
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    await context.serviceWorkers()[0]!.evaluate(async () => {
      const scope = self as unknown as WorkerScope &
        EventTarget & {
          NotificationEvent: new (type: string, init: { notification: Notification }) => Event;
        };
      const [shown] = await scope.registration.getNotifications();
      scope.dispatchEvent(new scope.NotificationEvent('notificationclick', { notification: shown! }));
    });
    await page.locator('#chat-heading').filter({ hasText: 'Ada Lovelace' }).waitFor();
    await page.getByRole('log').getByText('Dinner is at 8').waitFor();
    expect(await notificationsShown(context)).toEqual([]);

    // The address a click opens when no window is: the same chat (and nothing else could open it:
    // the tab's open chat is forgotten first).
    await page.evaluate(() => window.sessionStorage.clear());
    await page.goto(`/?conversation=${encodeURIComponent(conversationId)}`);
    await page.locator('#chat-heading').filter({ hasText: 'Ada Lovelace' }).waitFor();
    expect(new URL(page.url()).search).toBe('');

    // Previews off, then notifications off: Parley forgets this browser's subscription.
    const previews = page.getByRole('checkbox', { name: 'Show the message text in notifications' });
    await previews.click();
    await waitFor(async () => (await call('GET', '/v1/push/settings', token)).body.previews === false);
    await notify.click();
    await page.getByRole('status').filter({ hasText: 'Notifications are off.' }).waitFor();
    expect((await call('GET', '/v1/push/subscriptions', token)).body.subscriptions).toEqual([]);
  });
});
