export { waitFor } from './wait-for';
export { waitForLockWaits } from './lock-waits';
export {
  createTestWorld,
  stackEnv,
  randomName,
  databaseUrlFor,
  type TestWorld,
  type StackEnv,
} from './test-world';
export {
  FuzzRandom,
  fuzzFrame,
  splitRandomly,
  STOMP_MUTATIONS,
  type FuzzedFrame,
  type StompFuzzContext,
  type StompMutation,
} from './stomp-fuzz';
export { launchBrowser, chromiumPath, CHROMIUM_ARGS } from './browser';
export { testPool } from './test-pool';
export {
  PushServiceReceiver,
  checkVapid,
  decryptAes128gcm,
  type BrowserSubscriptionJson,
  type PushAnswer,
  type PushProblem,
  type PushRequestSeen,
  type ReceivedPush,
} from './push-service-receiver';
