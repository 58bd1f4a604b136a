import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { DomainError } from '@parley/domain';
import { KafkaUnavailableError, backoffDelay, classifyError } from '@parley/kafka';

/** What the schema registry client (mappersmith) throws: socket errors become "status 400" answers. */
function registryError(status: number, message: string): Error {
  return Object.assign(new Error(`parley - ${message}`), { name: 'ResponseError', status });
}

describe('classifyError', () => {
  it('honours an explicit retriable flag', () => {
    expect(classifyError(Object.assign(new Error('x'), { retriable: true }))).toBe('transient');
    expect(classifyError(Object.assign(new Error('x'), { retriable: false }))).toBe('permanent');
  });

  it('treats network and database restarts as transient', () => {
    expect(classifyError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe('transient');
    expect(classifyError(Object.assign(new Error('shutdown'), { code: '57P01' }))).toBe('transient');
    expect(classifyError(Object.assign(new Error('conn'), { code: '08006' }))).toBe('transient');
  });

  it('never retries PostgreSQL errors that would fail again', () => {
    expect(classifyError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe('permanent');
    expect(classifyError(Object.assign(new Error('syntax'), { code: '42601' }))).toBe('permanent');
    expect(classifyError(Object.assign(new Error('bad number'), { code: '22P02' }))).toBe('permanent');
  });

  it('never retries programming errors', () => {
    expect(classifyError(new TypeError('undefined is not a function'))).toBe('permanent');
    expect(classifyError(new RangeError('bad'))).toBe('permanent');
  });

  it('follows the cause chain and leaves the rest unknown', () => {
    expect(
      classifyError(new Error('wrapped', { cause: Object.assign(new Error(), { code: 'ECONNRESET' }) })),
    ).toBe('transient');
    expect(classifyError(new Error('who knows'))).toBe('unknown');
    expect(classifyError('a string')).toBe('unknown');
  });
});

describe('classifyError: transient failures are never dead-lettered', () => {
  it('given the schema registry refusing connections (wrapped as status 400), then it is transient', () => {
    const error = registryError(400, 'connect ECONNREFUSED 127.0.0.1:8081');
    expect(classifyError(error)).toBe('transient');
  });

  it('given the schema registry answering 5xx, 408 or 429, then it is transient', () => {
    for (const status of [500, 502, 503, 504, 408, 429])
      expect(classifyError(registryError(status, `Error, status ${status}`))).toBe('transient');
  });

  it('given the schema registry answering 404 or 422, then it is not transient', () => {
    expect(classifyError(registryError(404, 'Schema not found'))).toBe('unknown');
    expect(classifyError(registryError(422, 'Invalid schema'))).toBe('unknown');
  });

  it('given a lost or refused PostgreSQL connection, then it is transient', () => {
    expect(classifyError(new Error('Connection terminated unexpectedly'))).toBe('transient');
    expect(classifyError(new Error('timeout exceeded when trying to connect'))).toBe('transient');
    expect(classifyError(new Error('Connection terminated due to connection timeout'))).toBe('transient');
    expect(classifyError(Object.assign(new Error('x'), { code: '57P01' }))).toBe('transient');
    expect(classifyError(Object.assign(new Error('x'), { code: '57P03' }))).toBe('transient');
    expect(classifyError(Object.assign(new Error('x'), { code: '53300' }))).toBe('transient');
    expect(classifyError(Object.assign(new Error('x'), { code: '08001' }))).toBe('transient');
  });

  it('given a network error code or one named only in the message, then it is transient', () => {
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET'])
      expect(classifyError(Object.assign(new Error(code), { code }))).toBe('transient');
    expect(classifyError(new Error('read ECONNRESET'))).toBe('transient');
    expect(classifyError(new Error('socket hang up'))).toBe('transient');
  });

  it('given Kafka retriable errors, exhausted kafkajs retries, or the producer deadline, then they are transient', () => {
    expect(classifyError(new KafkaJSConnectionError('Connection error'))).toBe('transient');
    // kafkajs builds protocol errors from its error table; the type declares only `Error`.
    const leaderless = new KafkaJSProtocolError({
      type: 'NOT_LEADER_OR_FOLLOWER',
      code: 6,
      retriable: true,
      message: 'not leader',
    } as unknown as Error);
    expect(classifyError(leaderless)).toBe('transient');
    expect(
      classifyError(new KafkaJSNumberOfRetriesExceeded(leaderless, { retryCount: 5, retryTime: 1 })),
    ).toBe('transient');
    expect(classifyError(new KafkaUnavailableError(2_000))).toBe('transient');
  });

  it('given exhausted kafkajs retries around a permanent error, then it stays permanent', () => {
    const tooLarge = new TypeError('bad input');
    expect(classifyError(new KafkaJSNumberOfRetriesExceeded(tooLarge, { retryCount: 5, retryTime: 1 }))).toBe(
      'permanent',
    );
  });

  it('given a refusal of the domain or a constraint violation, then it is permanent', () => {
    expect(classifyError(new DomainError('invalid', 'TEXT_INVALID', 'no'))).toBe('permanent');
    expect(
      classifyError(Object.assign(new Error('invalid byte sequence ECONNREFUSED'), { code: '22021' })),
    ).toBe('permanent');
  });
});

describe('backoffDelay', () => {
  const options = { initialMs: 100, maxMs: 1_000 };

  it('grows exponentially up to the cap, with jitter in the upper half', () => {
    expect(backoffDelay(1, options, () => 0)).toBe(50);
    expect(backoffDelay(1, options, () => 1)).toBe(100);
    expect(backoffDelay(3, options, () => 1)).toBe(400);
    expect(backoffDelay(10, options, () => 1)).toBe(1_000);
    expect(backoffDelay(10, options, () => 0)).toBe(500);
  });
});
