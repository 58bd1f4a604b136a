import { ConcurrencyLimiter, PasswordHasher } from '@parley/auth';
import { OverloadedError } from '@parley/domain';

/** A task the test finishes (or fails) when it wants to. */
function deferred<T = string>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject, started: false };
}

/** Lets every promise callback that is ready run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ConcurrencyLimiter', () => {
  let clock = 0;
  const limiter = (concurrency: number, queueLength: number) =>
    new ConcurrencyLimiter(
      { concurrency, queueLength },
      (ms) => `busy; try again in ${ms} ms`,
      () => clock,
      100,
    );
  const start = (gate: ConcurrencyLimiter, task: ReturnType<typeof deferred<string>>) =>
    gate.run(() => {
      task.started = true;
      return task.promise;
    });

  beforeEach(() => (clock = 0));

  it('given two slots, when three tasks come, then two run and the third waits for a slot', async () => {
    const gate = limiter(2, 5);
    const tasks = [deferred(), deferred(), deferred()];
    const results = tasks.map((task) => start(gate, task));
    await settle();
    expect(tasks.map((t) => t.started)).toEqual([true, true, false]);
    expect(gate.load).toMatchObject({ running: 2, waiting: 1 });

    tasks[1]!.resolve('second');
    await settle();
    expect(tasks[2]!.started).toBe(true);
    expect(gate.load).toMatchObject({ running: 2, waiting: 0, peakRunning: 2 });

    tasks[0]!.resolve('first');
    tasks[2]!.resolve('third');
    expect(await Promise.all(results)).toEqual(['first', 'second', 'third']);
    expect(gate.load).toMatchObject({ running: 0, waiting: 0, peakRunning: 2, refused: 0 });
  });

  it('given waiting tasks, when slots free up, then they run in the order they came', async () => {
    const gate = limiter(1, 3);
    const tasks = [deferred(), deferred(), deferred(), deferred()];
    const order: number[] = [];
    const results = tasks.map((task, i) =>
      gate.run(async () => {
        order.push(i);
        return task.promise;
      }),
    );
    for (const task of tasks) {
      await settle();
      task.resolve('done');
    }
    await Promise.all(results);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(gate.load.peakRunning).toBe(1);
  });

  it('given a full queue, when one more task comes, then it is refused at once with when to try again', async () => {
    const gate = limiter(2, 1);
    const tasks = [deferred(), deferred(), deferred()];
    tasks.forEach((task) => void start(gate, task));
    await settle();
    const extra = deferred();
    const refused = await start(gate, extra).catch((error: unknown) => error);
    expect(extra.started).toBe(false);
    expect(refused).toBeInstanceOf(OverloadedError);
    // Three tasks ahead over two slots at the first estimate of 100 ms each.
    expect(refused).toMatchObject({
      code: 'UNAVAILABLE',
      retryAfterMs: 150,
      message: 'busy; try again in 150 ms',
    });
    expect(gate.load).toMatchObject({ running: 2, waiting: 1, refused: 1 });
    tasks.forEach((task) => task.resolve('done'));
  });

  it('given tasks that took long, when one is refused, then the wait it is told follows their duration', async () => {
    const gate = limiter(1, 0);
    for (let i = 0; i < 20; i++) {
      const task = deferred();
      const result = start(gate, task);
      clock += 1_000;
      task.resolve('done');
      await result;
    }
    const running = deferred();
    void start(gate, running);
    const refused = (await start(gate, deferred()).catch((error: unknown) => error)) as OverloadedError;
    expect(refused.retryAfterMs).toBeGreaterThan(950);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
    running.resolve('done');
  });

  it('given a task that fails, when it ends, then its slot goes to the next task and the error to its caller', async () => {
    const gate = limiter(1, 1);
    const failing = deferred();
    const next = deferred();
    const first = start(gate, failing);
    const second = start(gate, next);
    failing.reject(new Error('boom'));
    await expect(first).rejects.toThrow('boom');
    await settle();
    expect(next.started).toBe(true);
    next.resolve('ok');
    expect(await second).toBe('ok');
    expect(gate.load).toMatchObject({ running: 0, waiting: 0 });
  });

  it('refuses a limit without a slot', () => {
    expect(() => limiter(0, 1)).toThrow(RangeError);
  });
});

describe('PasswordHasher', () => {
  it('given one slot and no queue, when two checks come at once, then one is checked and the other refused', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queueLength: 0 });
    const stored = await hasher.hash('correct horse');
    const answers = await Promise.allSettled([
      hasher.check(stored, 'correct horse'),
      hasher.check(stored, 'correct horse'),
    ]);
    expect(answers[0]).toEqual({ status: 'fulfilled', value: true });
    expect(answers[1]).toMatchObject({ status: 'rejected', reason: { code: 'UNAVAILABLE' } });
    expect(hasher.load).toMatchObject({ running: 0, peakRunning: 1, refused: 1 });
  });
});
