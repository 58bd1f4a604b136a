export { runService, type StopService } from './run-service';
export { MicroBatcher, type MicroBatcherOptions } from './micro-batcher';
