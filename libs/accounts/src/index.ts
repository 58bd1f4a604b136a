export { AccountService, type AccountServiceDeps, type Session } from './account-service';
