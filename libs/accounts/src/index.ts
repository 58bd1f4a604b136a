export { AccountService, isAdminUser, type AccountServiceDeps, type Session } from './account-service';
