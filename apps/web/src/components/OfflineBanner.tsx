import { useOnline } from '../use-online';

/** Says the browser is offline; the region stays in the page so its text is announced when it appears. */
export function OfflineBanner() {
  const online = useOnline();
  return (
    <div className={online ? 'offline-banner' : 'offline-banner offline-banner-shown'} role="status">
      {online ? '' : 'You are offline. Parley will reconnect when your connection is back.'}
    </div>
  );
}
