import type { DeliveryStatus, WireReceipt } from './protocol';

/**
 * The order a recipient's status moves in (PROTOCOL §2.6): `failed` is not final, a late ACK makes
 * it `delivered`; `sent` is where every recipient starts.
 */
const RANK: Readonly<Record<DeliveryStatus, number>> = {
  sent: 0,
  pending: 1,
  failed: 2,
  delivered: 3,
  read: 4,
};

/** The further of two statuses: a status never moves back, whatever order receipts come in. */
export function furthest(current: DeliveryStatus | undefined, next: DeliveryStatus): DeliveryStatus {
  return current === undefined || RANK[next] > RANK[current] ? next : current;
}

/** The least advanced of several statuses (how PROTOCOL §2.1 sums up a message for its sender). */
export function leastAdvanced(statuses: Iterable<DeliveryStatus>): DeliveryStatus | undefined {
  let least: DeliveryStatus | undefined;
  for (const status of statuses) if (least === undefined || RANK[status] < RANK[least]) least = status;
  return least;
}

/** Status per recipient of one message. */
export type RecipientStatuses = Readonly<Record<string, DeliveryStatus>>;

/**
 * A receipt applied to a message's statuses per recipient. A `sent` receipt of a group message names
 * no recipient and changes none; the same object comes back when nothing moved.
 */
export function applyReceipt(statuses: RecipientStatuses, receipt: WireReceipt): RecipientStatuses {
  if (receipt.recipientId === null) return statuses;
  const current = statuses[receipt.recipientId];
  const next = furthest(current, receipt.status);
  return next === current ? statuses : { ...statuses, [receipt.recipientId]: next };
}

/**
 * A message's status for its sender: the least advanced among the recipients it knows of, where
 * every other member (`recipientIds`) counts as `sent` until a receipt says more; `fallback` (the
 * server's summary from history) when no recipient is known, never moved back.
 */
export function summarise(
  statuses: RecipientStatuses,
  recipientIds: readonly string[],
  fallback: DeliveryStatus = 'sent',
): DeliveryStatus {
  const known = recipientIds.length > 0 ? recipientIds : Object.keys(statuses);
  const least = leastAdvanced(known.map((id) => statuses[id] ?? 'sent'));
  return least === undefined ? fallback : furthest(least, fallback);
}
