export {
  AccountService,
  type AccountEventPublisher,
  type AccountServiceDeps,
  type Session,
  type SignInClient,
} from './account-service';
export { isAdminUser, isReservedUsername, NO_ADMINS, type AdminGrants } from './admins';
export { SignInThrottle, type SignInLimits } from './sign-in-throttle';
export { signInKeys } from './sign-in-keys';
export {
  ProviderAccounts,
  type ProviderAccountsDeps,
  type ProviderSession,
  type SignInOutcome,
  type LinkedIdentity,
} from './provider-accounts';
export { ProviderSignIn, LANDING_PATH, type ProviderSignInDeps, type BrowserStep } from './provider-sign-in';
export { SignInFlows, SIGN_IN_LIFETIMES, type StoredFlow, type StoredResult } from './sign-in-flows';
export {
  decideProviderAccount,
  checkUnlink,
  usernameCandidates,
  usernameFromHint,
  type AccountDecision,
  type KnownAccounts,
  type SignInIntent,
  type SignInMethods,
} from './provider-account-rules';
