import { useEffect } from 'react';
import type { ParleyClient } from '@parley/client';
import { useStore } from './chat-client';
import type { Directory } from './directory';

/**
 * The users the SDK knows, having asked it for these (the senders, members and typists a screen
 * shows): it looks each unknown one up once, and the screen renders again as names come.
 */
export function useDirectory(client: ParleyClient, userIds: Iterable<string>): Directory {
  const users = useStore(client.users);
  // A stable key: the effect runs when the set of ids changes, not on every render.
  const wanted = [...new Set(userIds)].sort().join(' ');
  useEffect(() => {
    if (wanted) client.needUsers(wanted.split(' '));
  }, [client, wanted]);
  return users;
}
