export { runService, type StopService } from './run-service';
export { startHealthServer } from './health-server';
