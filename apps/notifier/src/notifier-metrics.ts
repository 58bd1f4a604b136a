import type { ServiceMetrics } from '@parley/observability';
import { NOTIFIER_EVENTS, type NotifierInstrument } from '@parley/push';

/**
 * The notifier's Prometheus counters, fed by what it reports: notifications sent, failed (by cause:
 * `rejected` by the push service, `exhausted` retries) and dropped subscriptions (by status), retries,
 * and pending messages not told (by reason).
 */
export function notifierMetrics(metrics: ServiceMetrics): NotifierInstrument {
  const sent = metrics.counter(
    'parley_push_sent_total',
    'Notifications a push service accepted, per subscription',
  );
  const failed = metrics.counter(
    'parley_push_failed_total',
    'Notifications given up, per subscription, by cause',
    ['cause'],
  );
  const dropped = metrics.counter(
    'parley_push_dropped_total',
    'Push subscriptions deleted because their push service answered 404 or 410, by status',
    ['status'],
  );
  const retried = metrics.counter(
    'parley_push_retries_total',
    'Requests to push services tried again (429, 5xx, no answer)',
  );
  const skipped = metrics.counter(
    'parley_push_skipped_total',
    'Pending messages that got no notification, by reason (account-inactive, online, delivered, read, deleted, no-subscription)',
    ['reason'],
  );
  return (event) => {
    switch (event.name) {
      case NOTIFIER_EVENTS.sent:
        sent.inc();
        break;
      case NOTIFIER_EVENTS.failed:
        failed.inc({ cause: event.cause });
        break;
      case NOTIFIER_EVENTS.dropped:
        dropped.inc({ status: String(event.status) });
        break;
      case NOTIFIER_EVENTS.retried:
        retried.inc();
        break;
      case NOTIFIER_EVENTS.skipped:
        skipped.inc({ reason: event.reason }, event.messages);
        break;
    }
  };
}
