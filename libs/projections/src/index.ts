export { sql, type Projection, type SqlStatement, type EventPosition } from './projection';
export { ts } from './sql-time';
export { ProjectionRunner, type ProjectionRunnerOptions } from './projection-runner';
export { applyEntries, type PositionedEvent } from './apply-entries';
export {
  createShadowTables,
  swapTables,
  tableChecksum,
  tableDifferences,
  type TableChecksum,
} from './shadow-tables';
export {
  rebuildProjection,
  RebuildBusyError,
  type RebuildOptions,
  type RebuildReport,
  type RebuildMode,
  type TableComparison,
} from './projection-rebuild';
export type { ApplierProgress } from './shadow-applier';
export {
  startProjectionService,
  type ProjectionService,
  type ProjectionServiceOptions,
} from './projection-service';
export { ProjectionWatermark, type ProjectionWatermarkOptions } from './projection-watermark';
