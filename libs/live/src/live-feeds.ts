import { channels, type ChannelHub, type ChannelWatch, type UserNotice } from './live-channels';

/**
 * The gateway's view of the live channels: a session's `/user/queue/*` notices and the conversation
 * feeds it subscribed to, each answered with a watch: `ready` once Redis has the subscription, `stop`.
 */
export class LiveFeeds {
  constructor(
    private readonly hub: ChannelHub,
    private readonly prefix: string,
  ) {}

  watchUser(userId: string, deliver: (queue: UserNotice['queue'], body: unknown) => void): ChannelWatch {
    return this.hub.watch(channels.user(this.prefix, userId), (message) => {
      const notice = JSON.parse(message) as UserNotice;
      deliver(notice.queue, notice.body);
    });
  }

  watchConversation(conversationId: string, deliver: (body: unknown) => void): ChannelWatch {
    return this.hub.watch(channels.conversation(this.prefix, conversationId), (message) =>
      deliver(JSON.parse(message)),
    );
  }
}
