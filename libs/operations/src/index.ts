export { CliError } from './cli-error';
export { parseReadStart, parseTime } from './read-start';
export { Progress, formatProgress, formatDuration } from './progress';
export { resolveTopic, resolveEventTypes } from './topic-names';
export {
  dumpEvents,
  eventLine,
  passes,
  type EventFilter,
  type EventLine,
  type DumpReport,
} from './event-dump';
export {
  showOffsets,
  resetOffsets,
  type GroupOffsetRow,
  type ResetTarget,
  type ResetPlanRow,
} from './group-offsets';
export { parseResetTarget } from './reset-target';
export {
  listDeadLetters,
  redriveDeadLetters,
  redriveRecord,
  deadLetterEntry,
  redriveGroupOf,
  type DeadLetterEntry,
} from './dead-letters';
export { describeTopics, type TopicRow } from './topics-report';
export { resolveProjections, runProjectionRebuilds, type RebuildRunOptions } from './projection-rebuilds';
