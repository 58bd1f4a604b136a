import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { MessageRead, MessageSent } from '@parley/events';
import { randomName, stackEnv, testPool, waitFor } from '@parley/testing';
import { ChannelHub, ChannelPublisher, channels } from './live-channels';
import { LIVE_NOTICES_HORIZON_MS, LiveNotices } from './live-notices';

const sent = (occurredAt: number, text: string): MessageSent => ({
  type: 'MessageSent',
  eventId: randomUUID(),
  occurredAt,
  messageId: randomUUID(),
  conversationId: 'conv-1',
  senderId: 'alice',
  recipientId: 'bob',
  text,
  replyToMessageId: null,
});

/** A record of `value`, appended to the log at `appendedAt` (by default when the event happened). */
const at = (offset: string, value: MessageSent, appendedAt = value.occurredAt) => ({
  record: { topic: 'chat.messages', partition: 3, offset, timestamp: String(appendedAt) },
  value,
});

describe('LiveNotices', () => {
  const env = stackEnv();
  const prefix = `${randomName('notices')}:`;
  const redis = new Redis(env.redisUrl);
  const subscriber = new Redis(env.redisUrl);
  const pool = testPool({ connectionString: env.databaseUrl, max: 1 });
  const hub = new ChannelHub(subscriber);
  const notices = new LiveNotices(pool, new ChannelPublisher(redis, prefix));
  const feed: unknown[] = [];
  const receipts: unknown[] = [];

  beforeAll(async () => {
    await hub.watch(channels.conversation(prefix, 'conv-1'), (m) => feed.push(JSON.parse(m))).ready;
    await hub.watch(channels.user(prefix, 'alice'), (m) => receipts.push(JSON.parse(m))).ready;
  });

  afterAll(async () => {
    redis.disconnect();
    subscriber.disconnect();
    await pool.end();
  });

  it('tells the conversation the message and its sender "sent", with the record offset as seq, and nothing of a record appended before the horizon', async () => {
    // Given a record appended before the horizon (an offset reset replaying the log), a fresh one,
    // and one appended now for a message whose send began long ago (a claim taken over keeps its sentAt)
    const longAgo = Date.now() - LIVE_NOTICES_HORIZON_MS - 1_000;
    const old = sent(longAgo, 'long ago');
    const fresh = sent(Date.now(), 'just now');
    const takenOver = sent(longAgo, 'sent at last');
    // and one whose event claims to be fresh in a record appended long ago (a clock ahead)
    const aheadOfItsRecord = sent(Date.now(), 'clock ahead');

    // When all four are relayed, the old one first
    await notices.relay([
      at('41', old),
      at('42', fresh),
      at('43', takenOver, Date.now()),
      at('44', aheadOfItsRecord, longAgo),
    ]);

    // Then the fresh one and the one appended now are told, once on each channel; the record's
    // time decides, not the event's
    await waitFor(() => feed.length >= 2 && receipts.length >= 2, {
      what: 'the notices of the records appended now',
    });
    await new Promise((resolve) => setTimeout(resolve, 200)); // anything else would have arrived by now
    expect(feed).toEqual([
      expect.objectContaining({ kind: 'message', messageId: fresh.messageId, seq: 42, text: 'just now' }),
      expect.objectContaining({ kind: 'message', messageId: takenOver.messageId, seq: 43 }),
    ]);
    expect(receipts).toEqual([
      {
        queue: 'receipts',
        body: expect.objectContaining({
          messageId: fresh.messageId,
          status: 'sent',
          seq: 42,
          recipientId: 'bob',
        }),
      },
      { queue: 'receipts', body: expect.objectContaining({ messageId: takenOver.messageId, seq: 43 }) },
    ]);
  });

  it('does not hold the caller while a read waits for the messages projection: the records after it go out at once', async () => {
    // Given a read in a partition the messages projection has not reached (no position at all:
    // its receipts wait up to 2 s for it), followed by a message
    feed.length = 0;
    const read: MessageRead = {
      type: 'MessageRead',
      eventId: randomUUID(),
      occurredAt: Date.now(),
      conversationId: 'conv-1',
      readerId: 'bob',
      upToSeq: 7,
    };
    const next = sent(Date.now(), 'after the read');
    const log = {
      record: { topic: `${prefix}chat.messages`, partition: 0, offset: '8', timestamp: String(Date.now()) },
      value: read,
    };

    // When both are relayed
    const relayed = notices.relay([log, at('9', next)]).then(() => 'relayed');
    const waited = new Promise((resolve) => setTimeout(() => resolve('waited for the projection'), 1_000));

    // Then relay returns before the projection's wait could have ended, with both told
    expect(await Promise.race([relayed, waited])).toBe('relayed');
    await waitFor(() => feed.length >= 2, { what: 'the read and the message after it' });
    expect(feed).toEqual([
      expect.objectContaining({ kind: 'read', readerId: 'bob', upToSeq: 7 }),
      expect.objectContaining({ kind: 'message', messageId: next.messageId }),
    ]);
  });
});
