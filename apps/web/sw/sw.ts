// Parley's service worker (served at /sw.js, scope /): shows a notification for each Web Push
// message the notifier sends, and on a click opens its conversation: in a window of the app that
// is open (which it focuses and tells), or in a new one.
import {
  OPEN_CONVERSATION,
  clickTarget,
  notificationFromPayload,
  parsePushData,
  type ClickTarget,
} from './notification-content';

declare const self: ServiceWorkerGlobalScope;

// A new version takes over at once: the worker keeps no state worth waiting for.
self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  const { title, options } = notificationFromPayload(parsePushData(() => event.data?.json()));
  event.waitUntil(self.registration.showNotification(title, options));
});

async function open(target: ClickTarget | undefined): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const app = windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (!app) {
    await self.clients.openWindow(target?.url ?? '/');
    return;
  }
  if (target) app.postMessage({ type: OPEN_CONVERSATION, conversationId: target.conversationId });
  // Allowed after a real click only; the window was told either way.
  await app.focus().catch(() => undefined);
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const opening = open(clickTarget(event.notification.data));
  // A real click keeps the worker alive until the window is open; a constructed event cannot wait.
  if (event.isTrusted) event.waitUntil(opening);
  else void opening;
});
