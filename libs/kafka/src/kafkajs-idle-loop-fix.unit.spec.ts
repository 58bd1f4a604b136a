import { readFileSync } from 'node:fs';
import { PATCHED_KAFKAJS_VERSION, fixKafkajsIdleLoop, kafkajsRequestQueue } from './kafkajs-idle-loop-fix';

type Queue = {
  pending: unknown[];
  inflight: Map<number, unknown>;
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  destroy(): void;
};

const queues: Queue[] = [];

function newQueue(): Queue {
  const RequestQueue = kafkajsRequestQueue() as unknown as new (options: object) => Queue;
  const logger = {
    debug: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    info: () => undefined,
  };
  const queue = new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'spec',
    broker: '127.0.0.1:1',
    logger,
  });
  queues.push(queue);
  return queue;
}

describe('the kafkajs idle loop fix', () => {
  afterEach(() => {
    // Also when a test failed: a check left scheduled (kafkajs's own loop) must not outlive it.
    for (const queue of queues.splice(0)) {
      queue.pending.length = 0;
      queue.inflight.clear();
      queue.destroy();
    }
    jest.useRealTimers();
  });

  it('given the installed kafkajs, then it is the version the fix was written for (an upgrade must look again)', () => {
    const { version } = JSON.parse(readFileSync(require.resolve('kafkajs/package.json'), 'utf8')) as {
      version: string;
    };
    expect(version).toBe(PATCHED_KAFKAJS_VERSION);
  });

  it('given the fix, then the request queue of a kafkajs connection has the patched method', () => {
    expect(fixKafkajsIdleLoop()).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Connection = require('kafkajs/src/network/connection') as new (options: object) => {
      requestQueue: Queue & { scheduleCheckPendingRequests: unknown };
    };
    const logger = {
      namespace: () => ({
        debug: () => undefined,
        warn: () => undefined,
        error: () => undefined,
        info: () => undefined,
      }),
    };
    const connection = new Connection({ host: '127.0.0.1', port: 1, logger, socketFactory: () => undefined });
    queues.push(connection.requestQueue);
    expect(connection.requestQueue.scheduleCheckPendingRequests).toBe(
      (kafkajsRequestQueue().prototype as { scheduleCheckPendingRequests: unknown })
        .scheduleCheckPendingRequests,
    );
    expect(String(connection.requestQueue.scheduleCheckPendingRequests)).toContain('pending.length === 0');
  });

  describe('given the fix applied', () => {
    beforeAll(() => expect(fixKafkajsIdleLoop()).toBe(true));

    it('when an answered request leaves nothing waiting, then no check is scheduled (kafkajs 2.2.4 scheduled one every millisecond, forever)', () => {
      const queue = newQueue();
      queue.checkPendingRequests();
      expect(queue.throttleCheckTimeoutId).toBeNull();
    });

    it('when a request waits behind a throttle, then it is checked when the throttle ends, not before', () => {
      jest.useFakeTimers({ now: 1_000_000 });
      const queue = newQueue();
      queue.throttledUntil = Date.now() + 5_000;
      queue.inflight.set(1, {}); // so that the check finds it still held and sends nothing
      queue.pending.push({});
      const check = jest.spyOn(queue, 'checkPendingRequests');
      queue.checkPendingRequests();
      queue.checkPendingRequests(); // a second look schedules no second timer
      expect(jest.getTimerCount()).toBe(1);
      check.mockClear();
      jest.advanceTimersByTime(4_999);
      expect(check).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(check).toHaveBeenCalledTimes(1);
    });

    it('when a request waits behind the in-flight limit, then it is checked again after 10 ms, and again while it waits', () => {
      jest.useFakeTimers({ now: 1_000_000 });
      const queue = newQueue();
      queue.inflight.set(1, {});
      queue.pending.push({});
      const check = jest.spyOn(queue, 'checkPendingRequests');
      queue.checkPendingRequests();
      check.mockClear();
      jest.advanceTimersByTime(9);
      expect(check).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(check).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(10);
      expect(check).toHaveBeenCalledTimes(2);
    });
  });
});
