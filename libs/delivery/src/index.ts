export { inboxProjection, type InboxBody, type AppendedItem } from './inbox-projection';
export { InboxStore, isSessionDevice, type InboxItem } from './inbox-store';
export { InboxNotifier, InboxNotifications } from './inbox-notifications';
export { DeviceFeed, type DeviceFeedDeps } from './device-feed';
export { DeliveryReceipts } from './delivery-receipts';
export { ChannelHub, ChannelPublisher, channels, type UserNotice } from './redis-channels';
export { LiveRelay, type LiveRelayOptions } from './live-relay';
export { TypingNotices } from './typing-notices';
