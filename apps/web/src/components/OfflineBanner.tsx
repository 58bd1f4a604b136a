import type { ConnectionStatus } from '@parley/client';
import { useOnline } from '../use-online';

/** What the banner says, from the browser's hint and, once signed in, the live connection's state. */
export function offlineText(browserOnline: boolean, connection?: ConnectionStatus): string {
  if (!browserOnline) return 'You are offline. Parley will reconnect when your connection is back.';
  if (!connection) return '';
  if (connection.state === 'refused')
    return `Parley refused the connection (${connection.error?.code ?? 'refused'}). Sign in again.`;
  // A first attempt under way is not worth a banner; a lost connection, or attempts failing, are.
  if (connection.state === 'offline' || (connection.state === 'connecting' && connection.failures > 0))
    return 'You are offline: Parley cannot be reached. Reconnecting…';
  return '';
}

/**
 * Says Parley cannot be reached: the browser is offline, or (signed in) the live connection is down
 * although the browser believes it is online. The region stays in the page so its text is announced
 * when it appears.
 */
export function OfflineBanner({ connection }: { readonly connection?: ConnectionStatus }) {
  const text = offlineText(useOnline(), connection);
  return (
    <div className={text ? 'offline-banner offline-banner-shown' : 'offline-banner'} role="status">
      {text}
    </div>
  );
}
