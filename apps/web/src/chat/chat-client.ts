// The app's one @parley/client per signed-in user: IndexedDB keeps the outbox, device id and inbox
// position (one database per user of this browser), and the session stays where the account
// screens keep it (localStorage), so signing in, out and the other tabs work as before.
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { IndexedDbStorage, ParleyClient, type ReadableStore, type TokenStore } from '@parley/client';
import { clearSession, readSession, writeSession, type Session } from '../session-store';

/** The session as the account screens keep it, handed to the SDK (renewal: sign in again). */
function localStorageTokens(): TokenStore {
  return {
    load: async () => {
      const kept = readSession(window.localStorage, Date.now());
      return kept
        ? { userId: kept.userId, username: kept.username, token: kept.token, expiresAt: kept.expiresAt }
        : undefined;
    },
    save: async (session) => {
      const kept = readSession(window.localStorage, Date.now());
      writeSession(window.localStorage, {
        ...session,
        ...(kept?.displayName && kept.userId === session.userId ? { displayName: kept.displayName } : {}),
      });
    },
    clear: async () => clearSession(window.localStorage),
  };
}

export function createChatClient(userId: string): ParleyClient {
  return new ParleyClient({
    baseUrl: window.location.origin,
    storage: new IndexedDbStorage({ databaseName: `parley-${userId}` }),
    tokenStore: localStorageTokens(),
  });
}

export type ChatClientState =
  | { readonly state: 'starting' }
  | { readonly state: 'ready'; readonly client: ParleyClient }
  | { readonly state: 'failed'; readonly message: string };

/**
 * The signed-in user's client, started (storage loaded, connecting), closed when the user signs out
 * or the screen goes. The browser's `offline` event drops the connection at once (an open socket in
 * an offline browser holds its frames without closing), `online` reconnects without waiting.
 */
export function useChatClient(session: Session): ChatClientState {
  const [state, setState] = useState<ChatClientState>({ state: 'starting' });
  const { userId } = session;
  useEffect(() => {
    const client = createChatClient(userId);
    let live = true;
    client.start().then(
      () => live && setState({ state: 'ready', client }),
      (error: unknown) =>
        live &&
        setState({
          state: 'failed',
          message: `This browser could not open Parley's storage (${error instanceof Error ? error.message : String(error)}).`,
        }),
    );
    const offline = () => client.connectionLost();
    const online = () => client.reconnectNow();
    window.addEventListener('offline', offline);
    window.addEventListener('online', online);
    return () => {
      live = false;
      window.removeEventListener('offline', offline);
      window.removeEventListener('online', online);
      void client.close();
      setState({ state: 'starting' });
    };
  }, [userId]);
  return state;
}

/** A store of the SDK, bound to React. */
export function useStore<T>(store: ReadableStore<T>): T {
  const subscribe = useCallback((listener: () => void) => store.subscribe(listener), [store]);
  const snapshot = useCallback(() => store.getSnapshot(), [store]);
  return useSyncExternalStore(subscribe, snapshot);
}
