import { backoffDelay, type BackoffOptions } from './retry-policy';

/** What a runner does after its kafkajs consumer crashed. */
export type CrashAction =
  | { readonly kind: 'leave'; readonly why: 'stopping' | 'kafkajs restarts it' }
  /** Build a new consumer after `delayMs`: kafkajs has given up on this one for good. */
  | { readonly kind: 'rebuild'; readonly attempt: number; readonly delayMs: number };

export interface CrashFacts {
  /** kafkajs's CRASH event said it restarts the consumer itself (`restart: true`). */
  readonly restartedByKafkajs: boolean;
  /** The runner is being stopped: a crash then is the end anyway. */
  readonly stopping: boolean;
  /** Rebuilds in a row before this crash (0 for none). */
  readonly previousAttempts: number;
  /** How long the crashed consumer had been in its group (undefined: it never joined). */
  readonly upForMs: number | undefined;
}

/**
 * The backoff between rebuilds: a consumer that crashes again soon after (the same cause, still
 * there) waits longer each time, up to a minute, instead of hammering the broker. Joining the group
 * is not enough to start over, since the cause may strike on the first batch, nor is processing a
 * record (records before the culprit are read again after each rebuild, their offsets uncommitted):
 * staying up for the longest delay is.
 */
export const DEFAULT_RESTART_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 60_000 };

/**
 * Whether to rebuild a crashed consumer. kafkajs restarts a consumer only after retriable errors;
 * after any other (a non-retriable broker answer, an error thrown out of eachBatch) it disconnects
 * and leaves it dead, and the service would sit there consuming nothing. `random` is for tests.
 */
export function afterCrash(
  facts: CrashFacts,
  backoff: BackoffOptions = DEFAULT_RESTART_BACKOFF,
  random: () => number = Math.random,
): CrashAction {
  if (facts.stopping) return { kind: 'leave', why: 'stopping' };
  if (facts.restartedByKafkajs) return { kind: 'leave', why: 'kafkajs restarts it' };
  const stable = facts.upForMs !== undefined && facts.upForMs >= backoff.maxMs;
  const attempt = stable ? 1 : facts.previousAttempts + 1;
  return { kind: 'rebuild', attempt, delayMs: backoffDelay(attempt, backoff, random) };
}
