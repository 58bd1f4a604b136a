// What the service worker shows for a push, and where a click on it leads. Pure: shared by the
// service worker (sw.ts) and the app (which opens the conversation a click asks for).

/** The message the service worker posts to an open window of the app when a notification is clicked. */
export const OPEN_CONVERSATION = 'parley:open-conversation';

/** The query parameter that opens a conversation (`/?conversation=<id>`), for a window opened by a click. */
export const CONVERSATION_PARAM = 'conversation';

/** Conversation ids are client ids (PROTOCOL: 1 to 64 of `A-Z a-z 0-9 _ . : -`). */
const CONVERSATION_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Where a click on a notification leads. */
export interface ClickTarget {
  readonly conversationId: string;
  readonly url: string;
}

/** What `registration.showNotification(title, options)` gets. */
export interface ShownNotification {
  readonly title: string;
  readonly options: {
    readonly body: string;
    readonly tag: string;
    readonly data: ClickTarget | null;
    /** A newer notification of the same conversation replaces the older and alerts again. */
    readonly renotify: boolean;
    readonly timestamp?: number;
    readonly icon: string;
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? [...value].slice(0, max).join('') : undefined;

export const conversationUrl = (conversationId: string): string =>
  `/?${CONVERSATION_PARAM}=${encodeURIComponent(conversationId)}`;

/** The conversation a URL's query asks to open (`?conversation=<id>`), if it is a well-formed id. */
export function conversationFromSearch(search: string): string | undefined {
  const id = new URLSearchParams(search).get(CONVERSATION_PARAM);
  return id !== null && CONVERSATION_ID.test(id) ? id : undefined;
}

/** Where a notification's `data` leads, if it names a conversation. */
export function clickTarget(data: unknown): ClickTarget | undefined {
  if (
    !isRecord(data) ||
    typeof data.conversationId !== 'string' ||
    !CONVERSATION_ID.test(data.conversationId)
  )
    return undefined;
  return { conversationId: data.conversationId, url: conversationUrl(data.conversationId) };
}

/**
 * The notification for a push payload (version 1, as the notifier builds it: `title`, `body`,
 * `conversationId`, `tag`, `sentAt`). A payload this app does not understand still shows a plain
 * one: a push the user cannot see would count against the site (`userVisibleOnly`).
 */
export function notificationFromPayload(payload: unknown): ShownNotification {
  const data = isRecord(payload) ? payload : {};
  const target = clickTarget(data);
  const sentAt = typeof data.sentAt === 'string' ? Date.parse(data.sentAt) : NaN;
  return {
    title: text(data.title, 100) ?? 'Parley',
    options: {
      body: text(data.body, 200) ?? 'New message',
      tag: target ? `parley:${target.conversationId}` : 'parley',
      data: target ?? null,
      renotify: true,
      ...(Number.isNaN(sentAt) ? {} : { timestamp: sentAt }),
      icon: '/favicon.svg',
    },
  };
}

/** The push event's data as JSON, or undefined when it is missing or not JSON. */
export function parsePushData(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return undefined;
  }
}
