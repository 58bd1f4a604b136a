export const USER_QUEUES = ['messages', 'receipts', 'presence', 'typing', 'errors'] as const;
export type UserQueue = (typeof USER_QUEUES)[number];

export type Destination =
  | { readonly kind: 'user-queue'; readonly queue: UserQueue }
  | { readonly kind: 'conversation'; readonly conversationId: string }
  | { readonly kind: 'unknown' };

/** The subscribable destinations of PROTOCOL §3. */
export function parseSubscription(destination: string): Destination {
  const queue = /^\/user\/queue\/([a-z]+)$/.exec(destination)?.[1];
  if (queue && (USER_QUEUES as readonly string[]).includes(queue))
    return { kind: 'user-queue', queue: queue as UserQueue };
  const conversationId = /^\/topic\/conversation\.([A-Za-z0-9_.:-]{1,64})$/.exec(destination)?.[1];
  if (conversationId) return { kind: 'conversation', conversationId };
  return { kind: 'unknown' };
}
