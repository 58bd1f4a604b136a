// Any text the send path accepts is stored and delivered exactly; what it refuses is refused with
// 400 and a code saying why, at once. Property-based (fast-check) over arbitrary Unicode: code
// points of every plane, lone surrogates, NUL and the other control characters, through the real
// HTTP send, Kafka, the projections, history and a device's inbox.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { TEXT_MAX, characterCount, directConversationId, unstorableCharacter } from '@parley/domain';
import { gatewayClients, subscribeInbox } from '../test/gateway-clients';
import { startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

/** What the rules say of a text: 'accepted', or the code it is refused with. */
function expectedAnswer(text: string): string {
  if (text.trim() === '') return 'INVALID_TEXT';
  if (unstorableCharacter(text)) return 'INVALID_CHARACTER';
  if (characterCount(text) > TEXT_MAX) return 'TEXT_TOO_LONG';
  return 'accepted';
}

const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
const texts = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
  fc.string({ unit: anyCodeUnit, minLength: 1, maxLength: 30 }), // lone surrogates, NUL, C0/C1
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
  fc.constantFrom(
    'nul\u0000inside',
    'half \ud83d of an emoji',
    '\udc00',
    '\u0001\u0008\u001b[31m\u007f\u0085',
    '\u202eevil\u202c \u200d\ufeff\uffff',
    ' \t\n ',
    '😀'.repeat(TEXT_MAX),
    'x'.repeat(TEXT_MAX + 1),
  ),
);

describe('text fidelity: what is accepted is stored and delivered exactly', () => {
  let fixture: GatewayFixture;
  const { call, register, connect, closeAll, waitFor } = gatewayClients(() => fixture.baseUrl);

  beforeAll(async () => {
    fixture = await startGatewayFixture('text', { sendLimit: { capacity: 10_000, refillPerSecond: 10_000 } });
  });

  afterAll(async () => {
    await closeAll();
    await fixture.dispose();
  });

  it('given arbitrary Unicode, when sent over HTTP, then history and the inbox hold exactly the accepted texts', async () => {
    jest.setTimeout(180_000);
    await fc.assert(
      fc.asyncProperty(fc.array(texts, { minLength: 40, maxLength: 40 }), async (batch) => {
        const [ada, bob] = [await register('ada'), await register('bob')];
        const device = await connect(bob, { 'device-id': 'phone' });
        const inbox = subscribeInbox(device);
        const accepted = new Map<string, string>();
        for (const text of batch) {
          const messageId = randomUUID();
          const answer = await call('POST', '/v1/messages', ada.token, {
            messageId,
            recipientId: bob.userId,
            text,
          });
          const expected = expectedAnswer(text);
          if (expected === 'accepted') {
            expect({ text, status: answer.status }).toEqual({ text, status: 202 });
            accepted.set(messageId, text);
          } else {
            expect({ text, status: answer.status, code: answer.body?.error?.code }).toEqual({
              text,
              status: 400,
              code: expected,
            });
          }
        }
        const conversationId = directConversationId(ada.userId, bob.userId);
        const history = await waitFor(
          async () => {
            const page = await call(
              'GET',
              `/v1/conversations/${conversationId}/messages?limit=200`,
              ada.token,
            );
            const messages = (page.body?.messages ?? []) as { messageId: string; text: string }[];
            return messages.length >= accepted.size ? messages : undefined;
          },
          { what: `${accepted.size} messages in history` },
        );
        expect(new Map(history.map((m) => [m.messageId, m.text]))).toEqual(accepted);
        // Distinct messages: an item not ACKed yet may come twice (redelivery) on a busy machine.
        const distinct = () => new Set(inbox.map((i) => i.body.messageId as string)).size;
        await waitFor(() => distinct() >= accepted.size, { what: `${accepted.size} inbox items` });
        for (const item of inbox) item.message.ack();
        expect(new Map(inbox.map((i) => [i.body.messageId as string, i.body.text as string]))).toEqual(
          accepted,
        );
        await device.client.deactivate();
      }),
      { numRuns: 4, endOnFailure: true },
    );
  }, 180_000);
});
