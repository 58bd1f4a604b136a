import { MicroBatcher } from '@parley/runtime';

describe('MicroBatcher', () => {
  it('answers the calls of one turn with one batch, in order', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (items) => {
      batches.push([...items]);
      return items.map((i) => i * 10);
    });
    const answers = await Promise.all([1, 2, 3].map((i) => batcher.submit(i)));
    expect(answers).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('given a linger, gathers the items of several turns into one batch that runs after the linger', async () => {
    const batches: { items: number[]; at: number }[] = [];
    const started = Date.now();
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        batches.push({ items: [...items], at: Date.now() - started });
        return items;
      },
      { lingerMs: 60 },
    );
    const first = batcher.submit(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = batcher.submit(2);
    await Promise.all([first, second]);
    expect(batches.map((b) => b.items)).toEqual([[1, 2]]);
    expect(batches[0]?.at).toBeGreaterThanOrEqual(55);
    await batcher.drained();
  });

  it('splits at maxBatch and gives every item of a failed batch the error', async () => {
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        if (items.includes(3)) throw new Error('boom');
        return items;
      },
      { maxBatch: 2 },
    );
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => batcher.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
  });

  it('runs one batch at a time when serial, so read-modify-write batches never overlap', async () => {
    let running = 0;
    let most = 0;
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return items;
      },
      { serial: true },
    );
    const first = batcher.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3, 4].map((i) => batcher.submit(i));
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3, 4]);
    expect(most).toBe(1);
  });

  it('tells when everything submitted has been answered', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new MicroBatcher<number, number>(async (items) => {
      await gate;
      return items;
    });
    await batcher.drained(); // nothing submitted: at once
    const answered: number[] = [];
    for (const i of [1, 2]) void batcher.submit(i).then((n) => answered.push(n));
    let drained = false;
    const done = batcher.drained().then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(drained).toBe(false);
    release();
    await done;
    expect(answered).toEqual([1, 2]);
  });
});
