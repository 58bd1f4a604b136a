// A click on a notification while a window of the app is open: the service worker posts which
// conversation to open. The window listens from its start (main.tsx) and keeps the latest request
// until the chat screens are there to take it: they load after sign-in and the SDK's storage, and a
// message nobody listens to is lost.
import { OPEN_CONVERSATION, clickTarget } from '../../sw/notification-content';

type Listener = (conversationId: string) => void;

const listeners = new Set<Listener>();
let waiting: string | undefined;

export function listenForOpenRequests(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent<unknown>) => {
    const target = clickTarget(event.data);
    if ((event.data as { type?: unknown } | null)?.type !== OPEN_CONVERSATION || !target) return;
    if (listeners.size === 0) waiting = target.conversationId;
    for (const listener of listeners) listener(target.conversationId);
  });
}

/** Calls `listener` with each conversation a click asks for (one asked before it came, too). */
export function onOpenRequest(listener: Listener): () => void {
  listeners.add(listener);
  if (waiting !== undefined) {
    const conversationId = waiting;
    waiting = undefined;
    listener(conversationId);
  }
  return () => {
    listeners.delete(listener);
  };
}
