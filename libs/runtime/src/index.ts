export { runService, type StopService } from './run-service';
