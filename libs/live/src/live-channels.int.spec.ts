import { Redis } from 'ioredis';
import { randomName, stackEnv, waitFor } from '@parley/testing';
import { ChannelHub } from './live-channels';

describe('ChannelHub (real Redis)', () => {
  const env = stackEnv();
  const channel = `${randomName('hub')}:inbox:u1`;
  const admin = new Redis(env.redisUrl);
  const publisher = new Redis(env.redisUrl);
  let subscriber: Redis;
  let subscriberId: string;

  beforeEach(async () => {
    subscriber = new Redis(env.redisUrl, { retryStrategy: () => 50 });
    // Asked before it subscribes: a subscribed connection answers nothing else.
    subscriberId = String(await subscriber.client('ID'));
  });

  /** Ends the subscriber's connection from Redis's side, as a restart or a network blip would. */
  const killSubscriber = () => admin.client('KILL', 'ID', subscriberId);

  afterEach(() => subscriber.disconnect());

  afterAll(() => {
    admin.disconnect();
    publisher.disconnect();
  });

  it('given a watcher that can catch up, when its connection is lost and comes back, then it is told, and a message published then is heard; what was published while away is not', async () => {
    // Given
    const hub = new ChannelHub(subscriber);
    const messages: string[] = [];
    let resumedAt: number | undefined;
    const watch = hub.watch(
      channel,
      (message) => messages.push(message),
      () => {
        resumedAt = Date.now();
        // Published the moment the watcher is told: it must arrive, or a catch-up read made now
        // could still miss a notice.
        void publisher.publish(channel, 'after the resume');
      },
    );
    await watch.ready;
    await publisher.publish(channel, 'before');
    await waitFor(() => messages.includes('before'), { what: 'the first message' });
    expect(resumedAt).toBeUndefined(); // the first connection is not a resume

    // When: the connection is killed; what is published while it is away is gone
    const before = Date.now();
    await killSubscriber();
    await publisher.publish(channel, 'while away');

    // Then
    await waitFor(() => resumedAt !== undefined, { what: 'the resume' });
    expect(resumedAt).toBeGreaterThanOrEqual(before);
    await waitFor(() => messages.includes('after the resume'), {
      what: 'the message published at the resume',
    });
    expect(messages).not.toContain('while away');
    watch.stop();
  });

  it('given a watcher that stopped, when the connection comes back, then it is not told', async () => {
    const hub = new ChannelHub(subscriber);
    let stoppedTold = 0;
    let stillWatchingTold = 0;
    const stopped = hub.watch(
      channel,
      () => undefined,
      () => stoppedTold++,
    );
    const still = hub.watch(
      `${channel}:other`,
      () => undefined,
      () => stillWatchingTold++,
    );
    await Promise.all([stopped.ready, still.ready]);
    stopped.stop();

    await killSubscriber();

    await waitFor(() => stillWatchingTold === 1, { what: 'the resume' });
    expect(stoppedTold).toBe(0);
    still.stop();
  });

  it('given a watch begun while the connection was away (its SUBSCRIBE refused), when the connection comes back, then its messages arrive', async () => {
    // Given a subscriber that refuses commands while away (no offline queue), away for a moment
    subscriber.disconnect();
    subscriber = new Redis(env.redisUrl, { enableOfflineQueue: false, retryStrategy: () => 300 });
    await new Promise((resolve) => subscriber.once('ready', resolve));
    subscriberId = String(await subscriber.client('ID'));
    const hub = new ChannelHub(subscriber);
    let resumed = 0;
    const other = hub.watch(
      `${channel}:other`,
      () => undefined,
      () => resumed++,
    );
    await other.ready;
    const closed = new Promise((resolve) => subscriber.once('close', resolve));
    await killSubscriber();
    await closed;

    // When a watch begins while it is away
    const messages: string[] = [];
    const late = hub.watch(`${channel}:late`, (message) => messages.push(message));
    await late.ready; // the SUBSCRIBE failed (logged): ready all the same

    // Then, once it is back and resumed, the late channel is subscribed too
    await waitFor(() => resumed === 1, { what: 'the resume' });
    await publisher.publish(`${channel}:late`, 'hello');
    await waitFor(() => messages.length === 1, { what: "the late channel's message" });
    expect(messages).toEqual(['hello']);
    late.stop();
    other.stop();
  });

  it("tells a channel's listeners on this node a message as if Redis had delivered it", () => {
    const hub = new ChannelHub(subscriber);
    const heard: string[] = [];
    const watch = hub.watch(`${channel}:told`, (message) => heard.push(message));
    hub.tell(`${channel}:told`, 'from the node');
    hub.tell(`${channel}:nobody`, 'to no one');
    expect(heard).toEqual(['from the node']);
    watch.stop();
  });
});
