import {
  DeviceFeed,
  type DeviceFeedDeps,
  type InboxItem,
  type InboxNotifications,
  type InboxStore,
} from '@parley/delivery';

/** An inbox in memory: the feed's rules (order, ACK watermark, retries) without a database. */
function fakeInbox(count: number) {
  const items: InboxItem[] = Array.from({ length: count }, (_, i) => ({
    position: i + 1,
    body: { kind: 'deleted', messageId: `m${i + 1}`, conversationId: 'c' },
  }));
  const saved: number[] = [];
  /** The `after` of each read of the inbox. */
  const reads: number[] = [];
  const store = {
    startPosition: async () => 0,
    oldestPositionAfter: async () => undefined,
    itemsAfter: async (_user: string, after: number, limit: number) => {
      reads.push(after);
      return items.filter((item) => item.position > after).slice(0, limit);
    },
    saveAcked: async (_user: string, _device: string, position: number) => {
      saved.push(position);
    },
  } as unknown as InboxStore;
  /** Tells the feed a notice, as Redis would. */
  let notice: (position: number, items?: readonly InboxItem[]) => void = () => undefined;
  const notifications = {
    watch: (_user: string, listener: typeof notice) => {
      notice = listener;
      return { ready: Promise.resolve(), stop: () => undefined };
    },
  } as unknown as InboxNotifications;
  return {
    items,
    saved,
    reads,
    store,
    notifications,
    notice: (position: number, items?: readonly InboxItem[]) => notice(position, items),
  };
}

/** Device d of user u on `inbox`, its ACKs told to nobody unless `deps` says. */
function feedOn(
  inbox: ReturnType<typeof fakeInbox>,
  deps: Omit<DeviceFeedDeps, 'userId' | 'deviceId' | 'store' | 'notifications' | 'acknowledged'> &
    Partial<Pick<DeviceFeedDeps, 'acknowledged'>>,
): DeviceFeed {
  return new DeviceFeed({
    userId: 'u',
    deviceId: 'd',
    store: inbox.store,
    notifications: inbox.notifications,
    acknowledged: () => undefined,
    ...deps,
  });
}

describe('DeviceFeed', () => {
  it('writes the inbox in order and stores only the position up to which everything is ACKed', async () => {
    const inbox = fakeInbox(4);
    const pushed: number[] = [];
    const acknowledged: number[] = [];
    const feed = feedOn(inbox, {
      push: (item) => pushed.push(item.position),
      acknowledged: (_u, _d, positions) => acknowledged.push(...positions),
      retry: { initialMs: 60_000 },
    });
    await feed.start();
    expect(pushed).toEqual([1, 2, 3, 4]);

    feed.ack(2); // 1 is still open: nothing can be stored yet
    await new Promise((resolve) => setImmediate(resolve));
    expect(inbox.saved).toEqual([]);
    feed.ack(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(inbox.saved).toEqual([2]);
    feed.ackUpTo(4);
    feed.ack(4); // twice: changes nothing
    await new Promise((resolve) => setImmediate(resolve));
    expect(inbox.saved[inbox.saved.length - 1]).toBe(4);
    expect(acknowledged).toEqual([2, 1, 3, 4]);
    feed.stop();
  });

  it('given a connection whose buffer is full, when the replay runs then it waits between items until the connection is ready', async () => {
    const inbox = fakeInbox(5);
    const pushed: number[] = [];
    let drained!: () => void;
    let full = false;
    const feed = feedOn(inbox, {
      // The buffer fills after the second item and stays full until the test drains it.
      push: (item) => {
        pushed.push(item.position);
        if (item.position === 2) full = true;
      },
      ready: () => (full ? new Promise<void>((resolve) => (drained = resolve)) : undefined),
      retry: { initialMs: 60_000 },
    });
    try {
      const started = feed.start();
      await new Promise((resolve) => setImmediate(resolve));
      expect(pushed).toEqual([1, 2]);
      full = false;
      drained();
      await started;
      expect(pushed).toEqual([1, 2, 3, 4, 5]);
    } finally {
      feed.stop();
    }
  });

  it('keeps its subscription through a database that is restarting: the replay waits for the reads, then comes', async () => {
    // Given an inbox whose first reads fail, as while PostgreSQL restarts
    const inbox = fakeInbox(3);
    const store = inbox.store as unknown as Record<string, unknown>;
    const down = (times: number, read: (...args: never[]) => Promise<unknown>) => {
      let failures = 0;
      return (...args: never[]) =>
        failures++ < times ? Promise.reject(new Error('the database system is starting up')) : read(...args);
    };
    store.startPosition = down(2, async () => 0);
    store.oldestPositionAfter = down(1, async () => undefined);
    const pushed: number[] = [];
    const feed = feedOn(inbox, {
      push: (item) => pushed.push(item.position),
      retry: { initialMs: 5, maxMs: 10 },
    });

    // When the device subscribes, then the start does not fail, and the whole inbox comes in order
    await feed.start();
    expect(pushed).toEqual([1, 2, 3]);
    feed.stop();
  });

  it('ends its start quietly when stopped while the database is still away', async () => {
    const inbox = fakeInbox(1);
    (inbox.store as unknown as Record<string, unknown>).startPosition = () =>
      Promise.reject(new Error('connection refused'));
    const pushed: number[] = [];
    const feed = feedOn(inbox, {
      push: (item) => pushed.push(item.position),
      retry: { initialMs: 5, maxMs: 5 },
    });
    const started = feed.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    feed.stop();
    await expect(started).resolves.toBeUndefined();
    expect(pushed).toEqual([]);
  });

  it('sends NACKed items again', async () => {
    const inbox = fakeInbox(2);
    const pushed: number[] = [];
    let thirdWrite!: () => void;
    const written = new Promise<void>((resolve) => (thirdWrite = resolve));
    const feed = feedOn(inbox, {
      push: (item) => {
        if (pushed.push(item.position) === 3) thirdWrite();
      },
      retry: { initialMs: 10 },
    });
    await feed.start();
    feed.ack(1);
    feed.nack(2);
    await written;
    feed.stop();
    expect(pushed.slice(0, 3)).toEqual([1, 2, 2]);
  });

  it('writes an unACKed item again with doubling delays, then gives up on it and lets the position move on', async () => {
    const inbox = fakeInbox(2);
    const pushed: [number, number][] = [];
    const exhausted: number[] = [];
    let gaveUp!: () => void;
    const budgetSpent = new Promise<void>((resolve) => (gaveUp = resolve));
    const started = Date.now();
    const feed = feedOn(inbox, {
      push: (item) => pushed.push([item.position, Date.now() - started]),
      exhausted: (_u, _d, items) => {
        exhausted.push(...items.map((item) => item.position));
        gaveUp();
      },
      retry: { initialMs: 20, maxMs: 40, maxAttempts: 4 },
    });
    await feed.start();
    feed.ack(1);
    // Until the feed gives up, however late a loaded machine runs its timers.
    await budgetSpent;
    feed.stop();
    const writes = pushed.filter(([position]) => position === 2).map(([, at]) => at);
    expect(writes).toHaveLength(4); // the first write and three retries: the budget
    const gaps = writes.slice(1).map((at, i) => at - (writes[i] as number));
    expect(gaps[0]).toBeGreaterThanOrEqual(15); // 20 ms, then 40 ms (doubled), then 40 ms (the cap)
    expect(gaps[1]).toBeGreaterThanOrEqual(35);
    expect(gaps[2]).toBeGreaterThanOrEqual(35);
    expect(exhausted).toEqual([2]);
    expect(inbox.saved[inbox.saved.length - 1]).toBe(2); // settled: the device's position moved past it
  });

  it('given an item written again by the retry timer, then the inbox is not read for it (notices bring what is new)', async () => {
    // Given two items written, the first ACKed
    const inbox = fakeInbox(2);
    const pushed: number[] = [];
    let rewritten!: () => void;
    const again = new Promise<void>((resolve) => (rewritten = resolve));
    const feed = feedOn(inbox, {
      push: (item) => {
        pushed.push(item.position);
        if (pushed.length === 3) rewritten();
      },
      retry: { initialMs: 10 },
    });
    await feed.start();
    const readsAfterStart = inbox.reads.length;
    feed.ack(1);

    // When the second is written again (or not: the feed must be stopped all the same)
    await Promise.race([again, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    await new Promise((resolve) => setImmediate(resolve));
    feed.stop();

    // Then
    expect(pushed).toEqual([1, 2, 2]);
    expect(inbox.reads).toHaveLength(readsAfterStart);
  });

  it('given every item ACKed, then no retry timer is left armed', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const inbox = fakeInbox(3);
      const feed = feedOn(inbox, {
        push: () => undefined,
      });
      await feed.start();
      expect(jest.getTimerCount()).toBe(1); // the retry of the three items
      feed.ackUpTo(3);
      await new Promise((resolve) => setImmediate(resolve));
      expect(jest.getTimerCount()).toBe(0);
      feed.stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('given a notice while the start is still placing the device past a gap, then every item comes once, after the gap, in order', async () => {
    // Given an inbox whose items 1-4 are gone (retention) and a start that waits on its gap read
    const inbox = fakeInbox(7);
    inbox.items.splice(0, 4);
    let placed!: () => void;
    const gapRead = new Promise<void>((resolve) => (placed = resolve));
    const store = inbox.store as unknown as { oldestPositionAfter: () => Promise<number> };
    store.oldestPositionAfter = async () => {
      await gapRead;
      return 5;
    };
    const pushed: (number | string)[] = [];
    const feed = feedOn(inbox, {
      push: (item) => pushed.push(item.body.kind === 'gap' ? `gap to ${item.position}` : item.position),
      retry: { initialMs: 60_000 },
    });
    const started = feed.start();
    await new Promise((resolve) => setImmediate(resolve));

    // When a notice comes before the start is done
    inbox.notice(7);
    await new Promise((resolve) => setImmediate(resolve));
    placed();
    await started;
    await new Promise((resolve) => setImmediate(resolve));
    feed.stop();

    // Then
    expect(pushed).toEqual(['gap to 4', 5, 6, 7]);
  });

  describe('given a window of unACKed items', () => {
    const feedOf = (count: number, window: number) => {
      const inbox = fakeInbox(count);
      const pushed: number[] = [];
      const { reads } = inbox;
      const feed = feedOn(inbox, {
        push: (item) => pushed.push(item.position),
        retry: { initialMs: 60_000 },
        window,
      });
      return { feed, pushed, reads };
    };
    const settle = () => new Promise((resolve) => setImmediate(resolve));

    it('when the device does not ACK, then it gets no more than the window', async () => {
      const { feed, pushed } = feedOf(50, 10);
      await feed.start();
      expect(pushed).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      feed.stop();
    });

    it('when it ACKs less than half the window and the retry timer fires, then the waiting items fill the room', async () => {
      const inbox = fakeInbox(15);
      const pushed: number[] = [];
      let refilled!: () => void;
      const filled = new Promise<void>((resolve) => (refilled = resolve));
      const feed = feedOn(inbox, {
        push: (item) => {
          pushed.push(item.position);
          if (item.position === 12) refilled();
        },
        retry: { initialMs: 20 },
        window: 10,
      });
      await feed.start();
      inbox.notice(15); // the newest position is known
      feed.ack(1);
      feed.ack(2); // two free: under half, no read yet
      await settle();
      expect(pushed.filter((p) => p > 10)).toEqual([]);
      // The timer fires after 20 ms (and writes 3-10 again); a feed that never refills must not hang the run.
      await Promise.race([filled, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      feed.stop();
      expect(pushed.filter((p) => p > 10)).toEqual([11, 12]);
    });

    it('when it ACKs half the window, then the next items come, in order, until the inbox is done', async () => {
      const { feed, pushed, reads } = feedOf(25, 10);
      await feed.start();
      for (let p = 1; p <= 4; p++) feed.ack(p);
      await settle();
      expect(pushed).toHaveLength(10); // under half free: no read yet
      feed.ack(5);
      await settle();
      expect(pushed).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      for (let p = 6; p <= 15; p++) feed.ack(p);
      await settle();
      expect(pushed).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      for (let p = 16; p <= 20; p++) feed.ack(p); // room again: one read finds the end
      await settle();
      expect(reads.filter((after) => after === 25)).toHaveLength(1);
      const readsAtEnd = reads.length;
      for (let p = 21; p <= 25; p++) feed.ack(p); // the end is known: ACKs read nothing more
      await settle();
      expect(reads).toHaveLength(readsAtEnd);
      feed.stop();
    });
  });
});
