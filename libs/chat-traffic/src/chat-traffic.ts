import { randomUUID } from 'node:crypto';
import type { ParleyEvent } from '@parley/events';

interface Conversation {
  readonly id: string;
  readonly members: string[];
  /** Messages sent so far (ids and senders), for receipts, edits and deletions. */
  readonly sent: { id: string; sender: string }[];
}

/**
 * Plausible chat traffic as events, for tests and benchmarks that need every projection busy: users
 * register, set passwords and come and go; conversations are created and change members; messages
 * are sent, pending, delivered, read, failed, edited and deleted. Every id is fresh, so worlds never collide.
 */
export class ChatTraffic {
  private readonly users: string[];
  private readonly conversations: Conversation[];
  private clock = Date.now();
  private n = 0;

  constructor(options: { users: number; conversations: number; membersPerConversation?: number }) {
    this.users = Array.from({ length: options.users }, () => randomUUID());
    const size = Math.min(options.membersPerConversation ?? 3, options.users);
    this.conversations = Array.from({ length: options.conversations }, (_, i) => ({
      id: randomUUID(),
      members: Array.from({ length: size }, (_, j) => this.users[(i + j) % this.users.length]!),
      sent: [],
    }));
  }

  /** Registrations, passwords, presence and the conversations: the events before any message. */
  setup(): ParleyEvent[] {
    return [
      ...this.users.flatMap((userId, i): ParleyEvent[] => [
        {
          type: 'UserRegistered',
          ...this.meta(),
          userId,
          username: `user_${i}_${userId.slice(0, 8)}`,
          displayName: null,
        },
        { type: 'CredentialsSet', ...this.meta(), userId, passwordHash: `hash-${i}` },
        { type: 'PresenceChanged', ...this.meta(), userId, status: 'ONLINE', lastSeen: this.clock },
      ]),
      ...this.conversations.map((c): ParleyEvent => ({
        type: 'ConversationCreated',
        ...this.meta(),
        conversationId: c.id,
        kind: 'GROUP',
        title: `room ${c.id.slice(0, 4)}`,
        createdBy: c.members[0]!,
        memberIds: [...c.members],
      })),
    ];
  }

  /** About `count` events of a busy system: mostly messages and their receipts. */
  next(count: number): ParleyEvent[] {
    const events: ParleyEvent[] = [];
    while (events.length < count) {
      this.n += 1;
      const c = this.conversations[this.n % this.conversations.length]!;
      const sender = c.members[this.n % c.members.length]!;
      const recipient = c.members.find((m) => m !== sender) ?? sender;
      const messageId = randomUUID();
      c.sent.push({ id: messageId, sender });
      if (c.sent.length > 50) c.sent.shift();
      const message = { messageId, conversationId: c.id, senderId: sender };
      events.push({
        type: 'MessageSent',
        ...this.meta(),
        ...message,
        recipientId: null,
        text: `message ${this.n}`,
        replyToMessageId: null,
      });
      if (this.n % 5 === 0)
        events.push({ type: 'DeliveryPending', ...this.meta(), ...message, recipientId: recipient });
      if (this.n % 17 === 0)
        events.push({
          type: 'MessageFailed',
          ...this.meta(),
          ...message,
          recipientId: recipient,
          reason: 'expired',
        });
      else
        events.push({
          type: 'MessageDelivered',
          ...this.meta(),
          ...message,
          recipientId: recipient,
          deviceId: 'phone',
          seq: 0,
        });
      if (this.n % 3 === 0)
        // Reads "everything so far": the projection caps it at the read's own offset.
        events.push({
          type: 'MessageRead',
          ...this.meta(),
          conversationId: c.id,
          readerId: recipient,
          upToSeq: 2 ** 31,
        });
      if (this.n % 7 === 0) {
        // An edit by the sender of a recent message; now and then the same edit again (a retry).
        const recent = c.sent[c.sent.length > 3 ? c.sent.length - 3 : 0]!;
        const edit = {
          ...this.meta(),
          messageId: recent.id,
          conversationId: c.id,
          editedBy: recent.sender,
          editId: `edit-${this.n}`,
          text: `message edited at ${this.n}`,
        };
        events.push({ type: 'MessageEdited', ...edit });
        if (this.n % 3 === 0) events.push({ type: 'MessageEdited', ...edit, ...this.meta() });
      }
      if (this.n % 23 === 0) {
        const old = c.sent[0]!;
        events.push({
          type: 'MessageDeleted',
          ...this.meta(),
          messageId: old.id,
          conversationId: c.id,
          deletedBy: old.sender,
          scope: this.n % 2 === 0 ? 'EVERYONE' : 'ME',
        });
      }
      if (this.n % 29 === 0)
        events.push({
          type: 'PresenceChanged',
          ...this.meta(),
          userId: sender,
          status: this.n % 2 === 0 ? 'OFFLINE' : 'ONLINE',
          lastSeen: this.clock,
        });
      if (this.n % 97 === 0) {
        const joiner = this.users[this.n % this.users.length]!;
        events.push(
          c.members.includes(joiner)
            ? {
                type: 'MemberRemoved',
                ...this.meta(),
                conversationId: c.id,
                userId: joiner,
                removedBy: c.members[0]!,
              }
            : {
                type: 'MemberAdded',
                ...this.meta(),
                conversationId: c.id,
                userId: joiner,
                addedBy: c.members[0]!,
              },
        );
      }
    }
    return events;
  }

  private meta() {
    this.clock += 1;
    return { eventId: randomUUID(), occurredAt: this.clock };
  }
}
