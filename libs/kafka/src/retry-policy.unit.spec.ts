import { backoffDelay, classifyError } from '@parley/kafka';

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
