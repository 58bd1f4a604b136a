import { DLQ_HEADERS, deadLetterRecord, describeError } from '@parley/kafka';

describe('deadLetterRecord', () => {
  it('keeps the original record and adds why and where it failed', () => {
    const record = deadLetterRecord(
      {
        topic: 't1.chat.messages',
        partition: 3,
        offset: '42',
        timestamp: '1700000000000',
        key: Buffer.from('conv-1'),
        value: Buffer.from([1, 2, 3]),
        headers: { 'event-type': 'MessageSent' },
      },
      {
        error: new Error('bad bytes', { cause: new Error('deeper') }),
        stage: 'decode',
        groupId: 'g',
        failedAt: new Date(0),
      },
    );
    expect(record.topic).toBe('t1.chat.messages.dlq');
    expect(record.key).toBe('conv-1');
    expect(record.value).toEqual(Buffer.from([1, 2, 3]));
    expect(record.headers).toMatchObject({
      'event-type': 'MessageSent',
      [DLQ_HEADERS.error]: 'Error: bad bytes <- caused by Error: deeper',
      [DLQ_HEADERS.stage]: 'decode',
      [DLQ_HEADERS.topic]: 't1.chat.messages',
      [DLQ_HEADERS.partition]: '3',
      [DLQ_HEADERS.offset]: '42',
      [DLQ_HEADERS.failedAt]: '1970-01-01T00:00:00.000Z',
    });
  });

  it('describes non-errors too', () => {
    expect(describeError('boom')).toBe('boom');
  });
});
