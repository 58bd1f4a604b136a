export { runService, type StopService } from './run-service';
export { MicroBatcher, type MicroBatcherOptions } from './micro-batcher';
export { RedisBuckets } from './redis-buckets';
export { withDefaults } from './with-defaults';
export { LeanMultimap } from './lean-multimap';
