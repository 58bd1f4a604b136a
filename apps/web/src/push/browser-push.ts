// This browser's side of Web Push: the notification permission, the service worker (/sw.js), and
// the PushManager subscription, registered with Parley for the signed-in user.
import type { PushApi } from './push-api';

/** Where this browser stands: `on` means permission, a subscription, and Parley knowing it. */
export type PushState = 'unsupported' | 'denied' | 'off' | 'on';

export function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** The VAPID public key (base64url) as the bytes `applicationServerKey` takes. */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const sameKey = (a: ArrayBuffer | null, b: Uint8Array): boolean => {
  if (!a || a.byteLength !== b.length) return false;
  const bytes = new Uint8Array(a);
  return bytes.every((value, i) => value === b[i]);
};

/** The service worker's registration, registered if it is not yet. */
async function registration(): Promise<ServiceWorkerRegistration> {
  await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  return navigator.serviceWorker.ready;
}

/** The browser's subscription, if the service worker is registered and has one. */
async function currentSubscription(): Promise<PushSubscription | null> {
  const existing = await navigator.serviceWorker.getRegistration('/');
  return existing ? existing.pushManager.getSubscription() : null;
}

/** Whether this browser gets the user's notifications now (asks Parley, which knows the subscriptions). */
export async function pushState(api: PushApi): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  if (Notification.permission !== 'granted') return 'off';
  const subscription = await currentSubscription();
  if (!subscription) return 'off';
  const known = await api.list();
  return known.some((s) => s.endpoint === subscription.endpoint) ? 'on' : 'off';
}

/**
 * Asks for permission (the browser's prompt; it must follow a click), registers the service worker,
 * subscribes with the installation's VAPID key (again, if the key changed) and tells Parley.
 */
export async function turnOn(api: PushApi): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission === 'denied') return 'denied';
  if (permission !== 'granted') return 'off';
  const [worker, key] = await Promise.all([registration(), api.vapidPublicKey()]);
  const serverKey = keyBytes(key);
  let subscription = await worker.pushManager.getSubscription();
  if (subscription && !sameKey(subscription.options.applicationServerKey, serverKey)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await worker.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: serverKey,
  });
  await api.register(subscription.toJSON());
  return 'on';
}

/**
 * No more notifications here: Parley forgets the subscription and the browser drops it. Without a
 * working token (signed out after it expired) the browser still drops it; Parley then learns it from
 * the push service (404/410) and deletes it.
 */
export async function turnOff(api: PushApi | undefined): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  const subscription = await currentSubscription();
  if (!subscription) return 'off';
  if (api) {
    const known = await api.list().catch(() => []);
    const mine = known.find((s) => s.endpoint === subscription.endpoint);
    if (mine) await api.remove(mine.subscriptionId).catch(() => undefined);
  }
  await subscription.unsubscribe();
  return 'off';
}
