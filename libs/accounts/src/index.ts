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
