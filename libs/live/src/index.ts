export { ChannelHub, ChannelPublisher, channels, type ChannelWatch, type UserNotice } from './live-channels';
export { LiveFeeds } from './live-feeds';
export {
  LiveNotices,
  LIVE_NOTICES_HORIZON_MS,
  READS_WAITING_MAX,
  type LiveNoticesOptions,
  type LoggedEvent,
} from './live-notices';
export { LiveRelay, type LiveRelayOptions } from './live-relay';
export { TypingNotices } from './typing-notices';
export { SessionControl, type SessionKicker } from './session-control';
export { Revocations, REMOVAL_MEMORY_MS, type Revocation } from './revocations';
export { AccessWatch, type AccessWatchOptions } from './access-watch';
