import { channels, type ChannelHub, type UserNotice } from './live-channels';

/**
 * The gateway's view of the live channels: a session's `/user/queue/*` notices and the conversation
 * feeds it subscribed to, each answered with a function that stops listening.
 */
export class LiveFeeds {
  constructor(
    private readonly hub: ChannelHub,
    private readonly prefix: string,
  ) {}

  watchUser(userId: string, deliver: (queue: UserNotice['queue'], body: unknown) => void): () => void {
    return this.hub.watch(channels.user(this.prefix, userId), (message) => {
      const notice = JSON.parse(message) as UserNotice;
      deliver(notice.queue, notice.body);
    }).stop;
  }

  watchConversation(conversationId: string, deliver: (body: unknown) => void): () => void {
    return this.hub.watch(channels.conversation(this.prefix, conversationId), (message) =>
      deliver(JSON.parse(message)),
    ).stop;
  }
}
