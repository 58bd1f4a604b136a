import { useEffect, useMemo, useState } from 'react';
import type { Session } from '../session-store';
import { pushState, turnOff, turnOn, type PushState } from './browser-push';
import { pushApi } from './push-api';

const BLOCKED = 'Notifications are blocked for this site: allow them in the browser’s site settings.';

const reason = (caught: unknown) => (caught instanceof Error ? caught.message : String(caught));

/**
 * Notifications for this browser (the permission prompt, the service worker, the subscription) and
 * whether they show the message's text (the user's setting, for every device).
 */
export function NotificationSettings({ session }: { readonly session: Session }) {
  const api = useMemo(() => pushApi(session.token), [session.token]);
  const [state, setState] = useState<PushState | 'checking'>('checking');
  const [previews, setPreviews] = useState(true);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');

  useEffect(() => {
    let live = true;
    pushState(api).then(
      (next) => live && setState(next),
      () => live && setState('off'),
    );
    api.settings().then(
      (settings) => live && setPreviews(settings.previews),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);

  const toggle = async () => {
    setBusy(true);
    setMessage('');
    try {
      const next = state === 'on' ? await turnOff(api) : await turnOn(api);
      setState(next);
      setMessage(
        next === 'on'
          ? 'Notifications are on in this browser.'
          : next === 'off'
            ? 'Notifications are off.'
            : '',
      );
    } catch (caught) {
      setMessage(`Notifications could not be changed: ${reason(caught)}`);
    } finally {
      setBusy(false);
    }
  };

  const changePreviews = async (wanted: boolean) => {
    setBusy(true);
    setMessage('');
    try {
      setPreviews((await api.changeSettings({ previews: wanted })).previews);
    } catch (caught) {
      setMessage(`The setting could not be saved: ${reason(caught)}`);
    } finally {
      setBusy(false);
    }
  };

  if (state === 'unsupported')
    return (
      <section className="notifications" aria-labelledby="notifications-heading">
        <h2 id="notifications-heading" className="panel-title">
          Notifications
        </h2>
        <p className="field-hint">This browser cannot show notifications from Parley.</p>
      </section>
    );

  return (
    <section className="notifications" aria-labelledby="notifications-heading">
      <h2 id="notifications-heading" className="panel-title">
        Notifications
      </h2>
      <label className="check">
        <input
          type="checkbox"
          role="switch"
          checked={state === 'on'}
          disabled={busy || state === 'checking' || state === 'denied'}
          onChange={() => void toggle()}
        />
        Notify me of new messages while Parley is closed
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={previews}
          disabled={busy}
          onChange={(event) => void changePreviews(event.currentTarget.checked)}
        />
        Show the message text in notifications
      </label>
      <p className="field-hint" role="status">
        {state === 'denied' ? BLOCKED : message}
      </p>
    </section>
  );
}
