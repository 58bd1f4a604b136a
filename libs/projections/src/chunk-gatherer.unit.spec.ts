import { ChunkGatherer } from './chunk-gatherer';

/** A gatherer whose gatherings close when the test says so, recording what was applied how. */
function harness(together: (chunks: readonly string[]) => Promise<boolean>, alone = async (_: string) => {}) {
  const log: string[] = [];
  const closes: (() => void)[] = [];
  const failures: string[] = [];
  const gatherer = new ChunkGatherer<string>(
    async (chunks) => {
      log.push(`together ${chunks.join(',')}`);
      return together(chunks);
    },
    async (chunk) => {
      log.push(`alone ${chunk}`);
      await alone(chunk);
    },
    (error, chunks) => failures.push(`${chunks.join(',')}: ${(error as Error).message}`),
    (run) => closes.push(run),
  );
  const close = async () => {
    const run = closes.shift();
    if (!run) throw new Error('no gathering is waiting to close');
    run();
    // Lets the gathering's transaction(s) settle: every promise job runs before the next turn.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { gatherer, log, close, failures, pendingCloses: () => closes.length };
}

const outcome = (promise: Promise<void>) =>
  promise.then(
    () => 'ok',
    (error: Error) => `failed: ${error.message}`,
  );

describe('ChunkGatherer', () => {
  it('given chunks handed over in the same turn, applies them in one transaction', async () => {
    const { gatherer, log, close } = harness(async () => true);
    const a = outcome(gatherer.add('p0'));
    const b = outcome(gatherer.add('p1'));
    const c = outcome(gatherer.add('p2'));
    await close();
    expect(log).toEqual(['together p0,p1,p2']);
    expect(await Promise.all([a, b, c])).toEqual(['ok', 'ok', 'ok']);
  });

  it('given one chunk, applies it alone (the usual transaction)', async () => {
    const { gatherer, log, close } = harness(async () => true);
    const a = outcome(gatherer.add('p0'));
    await close();
    expect(log).toEqual(['alone p0']);
    expect(await a).toBe('ok');
  });

  it('when the transaction together commits nothing (a chunk read again), applies each alone, in turn', async () => {
    const { gatherer, log, close } = harness(async () => false);
    const a = outcome(gatherer.add('p0'));
    const b = outcome(gatherer.add('p1'));
    await close();
    expect(log).toEqual(['together p0,p1', 'alone p0', 'alone p1']);
    expect(await Promise.all([a, b])).toEqual(['ok', 'ok']);
  });

  it('when the transaction together fails, the chunk that fails alone fails alone, and the failure is told', async () => {
    const { gatherer, log, close, failures } = harness(
      async () => {
        throw new Error('poison in p1');
      },
      async (chunk) => {
        if (chunk === 'p1') throw new Error('poison in p1');
      },
    );
    const a = outcome(gatherer.add('p0'));
    const b = outcome(gatherer.add('p1'));
    const c = outcome(gatherer.add('p2'));
    await close();
    expect(log).toEqual(['together p0,p1,p2', 'alone p0', 'alone p1', 'alone p2']);
    expect(await Promise.all([a, b, c])).toEqual(['ok', 'failed: poison in p1', 'ok']);
    expect(failures).toEqual(['p0,p1,p2: poison in p1']);
  });

  it('given one chunk that fails, it fails with its own error', async () => {
    const { gatherer, log, close } = harness(
      async () => true,
      async () => {
        throw new Error('poison');
      },
    );
    const a = outcome(gatherer.add('p0'));
    await close();
    expect(log).toEqual(['alone p0']);
    expect(await a).toBe('failed: poison');
  });

  it('given a chunk handed over while the others are applied alone, it waits for the next gathering', async () => {
    let added: Promise<string> | undefined;
    const { gatherer, log, close } = harness(
      async () => false,
      async (chunk) => {
        if (chunk === 'p0') added = outcome(gatherer.add('p2'));
      },
    );
    const first = [outcome(gatherer.add('p0')), outcome(gatherer.add('p1'))];
    await close();
    expect(await Promise.all(first)).toEqual(['ok', 'ok']);
    await close();
    expect(await added).toBe('ok');
    expect(log).toEqual(['together p0,p1', 'alone p0', 'alone p1', 'alone p2']);
  });

  it('given chunks arriving while a transaction runs, gathers them for the next one, never two at once', async () => {
    let release: (committed: boolean) => void = () => undefined;
    let running = 0;
    let mostAtOnce = 0;
    const { gatherer, log, close, pendingCloses } = harness(
      () =>
        new Promise<boolean>((resolve) => {
          mostAtOnce = Math.max(mostAtOnce, ++running);
          release = (committed) => {
            running--;
            resolve(committed);
          };
        }),
    );
    const first = [outcome(gatherer.add('p0')), outcome(gatherer.add('p1'))];
    await close();
    const second = [outcome(gatherer.add('p2')), outcome(gatherer.add('p3'))];
    // Nothing is scheduled while the first transaction runs.
    expect(pendingCloses()).toBe(0);
    release(true);
    expect(await Promise.all(first)).toEqual(['ok', 'ok']);
    await close();
    release(true);
    expect(await Promise.all(second)).toEqual(['ok', 'ok']);
    expect(log).toEqual(['together p0,p1', 'together p2,p3']);
    expect(mostAtOnce).toBe(1);
  });
});
