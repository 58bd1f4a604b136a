export { sql, type Projection, type SqlStatement, type EventPosition } from './projection';
export { ProjectionRunner, type ProjectionRunnerOptions } from './projection-runner';
