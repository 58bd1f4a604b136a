export { inboxProjection, readAppendedItem, type InboxBody, type AppendedItem } from './inbox-projection';
export { InboxStore, isSessionDevice, type InboxItem } from './inbox-store';
export { InboxNotifier, InboxNotifications } from './inbox-notifications';
export {
  DeviceFeed,
  DEFAULT_RETRY_BUDGET,
  DEFAULT_INBOX_WINDOW,
  type DeviceFeedDeps,
  type RetryBudget,
} from './device-feed';
export { DeliveryReceipts, messageFailed, type DeliveryReceiptsOptions } from './delivery-receipts';
export { DeliveryJobs, type DeliveryJobsOptions } from './delivery-jobs';
export { startDeliveryWorker, type DeliveryWorker, type DeliveryWorkerOptions } from './delivery-worker';
