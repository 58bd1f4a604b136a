export {
  parsePushSubscription,
  parsePushSettings,
  parseEndpoint,
  DEFAULT_PUSH_SETTINGS,
  ENDPOINT_MAX,
  type PushSubscriptionInput,
  type EndpointPolicy,
  type PushSettings,
} from './push-requests';
export { isPublicAddress, isLoopbackAddress, loopbackHost, publicAddressOrHost } from './endpoint-addresses';
export {
  dueAt,
  decideThread,
  buildPayload,
  topicFor,
  PREVIEW_MAX,
  type CollapseRules,
  type ThreadTiming,
  type PendingMessageFacts,
  type SkipReason,
  type ThreadDecision,
  type NotificationPayload,
  type PayloadFacts,
} from './notification-rules';
export {
  judgeAttempt,
  retryAfterMs,
  type PushRetryPolicy,
  type SendAttempt,
  type SendVerdict,
} from './send-outcome';
export {
  loadVapidKeys,
  generateVapidKeyPair,
  vapidPairProblem,
  type VapidKeys,
  type VapidSettings,
  type VapidSource,
} from './vapid-keys';
export {
  PushSubscriptionStore,
  tooManySubscriptions,
  type PushSubscriptionView,
  type StoredPushSubscription,
} from './push-subscriptions';
export { PushSettingsStore } from './push-settings-store';
export { PushService, type PushServiceOptions } from './push-service';
export {
  WebPushSender,
  guardedLookup,
  type PushMessage,
  type PushTransport,
  type WebPushSenderOptions,
} from './web-push-sender';
export { NotifierStore, type PendingNotice, type ClaimedThread, type PendingOutcome } from './notifier-store';
export { NOTIFIER_EVENTS, type NotifierEvent, type NotifierInstrument } from './notifier-events';
export { startNotifier, type Notifier, type NotifierOptions } from './notifier';
