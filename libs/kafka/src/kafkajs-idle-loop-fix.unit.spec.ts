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

function newQueue(): Queue {
  const RequestQueue = kafkajsRequestQueue() as unknown as new (options: object) => Queue;
  const logger = {
    debug: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    info: () => undefined,
  };
  return new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'spec',
    broker: '127.0.0.1:1',
    logger,
  });
}

describe('the kafkajs idle loop fix', () => {
  it('given the installed kafkajs, then it is the version the fix was written for (an upgrade must look again)', () => {
    const { version } = JSON.parse(readFileSync(require.resolve('kafkajs/package.json'), 'utf8')) as {
      version: string;
    };
    expect(version).toBe(PATCHED_KAFKAJS_VERSION);
  });

  describe('given the fix applied', () => {
    beforeAll(() => expect(fixKafkajsIdleLoop()).toBe(true));

    it('when an answered request leaves nothing waiting, then no check is scheduled (kafkajs 2.2.4 scheduled one every millisecond, forever)', () => {
      const queue = newQueue();
      queue.checkPendingRequests();
      expect(queue.throttleCheckTimeoutId).toBeNull();
    });

    it('when a request waits behind a throttle, then a check is scheduled for the throttle’s end', () => {
      const queue = newQueue();
      queue.throttledUntil = Date.now() + 5_000;
      queue.pending.push({});
      queue.checkPendingRequests();
      expect(queue.throttleCheckTimeoutId).not.toBeNull();
      queue.destroy();
    });

    it('when a request waits behind the in-flight limit and the throttle is over, then it is checked again soon', () => {
      jest.useFakeTimers();
      try {
        const queue = newQueue();
        queue.inflight.set(1, {});
        queue.pending.push({});
        queue.checkPendingRequests();
        expect(queue.throttleCheckTimeoutId).not.toBeNull();
        expect(jest.getTimerCount()).toBe(1);
        jest.advanceTimersByTime(10);
        // Still held by the in-flight request, so checked again: the check keeps going while it waits.
        expect(queue.throttleCheckTimeoutId).not.toBeNull();
        queue.inflight.clear();
        queue.destroy();
      } finally {
        jest.useRealTimers();
      }
    });
  });
});
