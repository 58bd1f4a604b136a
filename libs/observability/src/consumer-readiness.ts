import type { ConsumerProgress, KafkaAdmin } from '@parley/kafka';
import { lagOf } from './lag-collector';
import type { ReadinessCheck } from './ops-endpoints';

export interface ConsumerVerdictInput {
  readonly progress: ConsumerProgress;
  /** Records waiting in the consumer's own partitions (end offsets − committed offsets). */
  readonly lag: number;
  /** Since when records have been seen waiting, check after check (undefined: none last time). */
  readonly behindSince: number | undefined;
  readonly now: number;
  /** Waiting records and no progress for this long: stuck. */
  readonly stallAfterMs: number;
}

export interface ConsumerVerdict {
  /** Undefined when ready; otherwise what `/readyz` says about the consumer. */
  readonly problem: string | undefined;
  /** What the next check passes on as `behindSince`. */
  readonly behindSince: number | undefined;
}

/**
 * Whether one of a service's own consumers is doing its job. Not ready: it crashed, stopped, has
 * not joined its group yet, or it has had records to process (fetched and unfinished, or waiting
 * in its partitions) while it processed nothing for `stallAfterMs`. A consumer idle for an hour that
 * just received a record is not stuck: the clock starts at the later of its last progress and the
 * moment records were first seen waiting (by the runner, or by the first check that saw lag).
 */
export function consumerVerdict(input: ConsumerVerdictInput): ConsumerVerdict {
  const { progress, lag, now, stallAfterMs } = input;
  switch (progress.state) {
    case 'crashed':
      return { problem: `crashed: ${progress.crash ?? 'no reason given'}`, behindSince: undefined };
    case 'stopped':
      return { problem: 'stopped', behindSince: undefined };
    case 'starting':
      return { problem: 'not in its consumer group yet', behindSince: undefined };
    case 'running':
      break;
  }
  const behindSince = lag > 0 ? (input.behindSince ?? now) : undefined;
  const waitingSince = Math.min(progress.busySince ?? Infinity, behindSince ?? Infinity);
  if (waitingSince === Infinity) return { problem: undefined, behindSince };
  const stalledMs = now - Math.max(progress.lastProgressAt, waitingSince);
  if (stalledMs < stallAfterMs) return { problem: undefined, behindSince };
  const waiting = lag > 0 ? `${lag} record${lag === 1 ? '' : 's'} waiting` : 'fetched records unfinished';
  return { problem: `no progress for ${Math.round(stalledMs / 1000)} s with ${waiting}`, behindSince };
}

export interface ConsumerChecksOptions {
  readonly admin: Pick<KafkaAdmin, 'committedOffsets' | 'topicOffsets'>;
  /** The service's own consumers (ConsumerRunner, or what wraps one). */
  readonly consumers: readonly { progress(): ConsumerProgress }[];
  /** Records waiting and no progress for this long: not ready (CONSUMER_STALL_MS). */
  readonly stallAfterMs: number;
  readonly now?: () => number;
}

/**
 * One `/readyz` check per consumer, named `consumer <group id>`: fails when `consumerVerdict`
 * finds a problem. Lag counts only the partitions assigned to this instance, so another
 * instance's trouble does not make this one unready.
 */
export function consumerChecks(options: ConsumerChecksOptions): Record<string, ReadinessCheck> {
  const now = options.now ?? Date.now;
  const checks: Record<string, ReadinessCheck> = {};
  for (const consumer of options.consumers) {
    let behindSince: number | undefined;
    checks[`consumer ${consumer.progress().groupId}`] = async () => {
      const progress = consumer.progress();
      const lag = progress.state === 'running' ? await lagOfAssigned(options.admin, progress) : 0;
      const verdict = consumerVerdict({
        progress,
        lag,
        behindSince,
        now: now(),
        stallAfterMs: options.stallAfterMs,
      });
      behindSince = verdict.behindSince;
      if (verdict.problem) throw new Error(verdict.problem);
    };
  }
  return checks;
}

async function lagOfAssigned(
  admin: ConsumerChecksOptions['admin'],
  progress: ConsumerProgress,
): Promise<number> {
  if (progress.assigned.length === 0) return 0;
  const committed = await admin.committedOffsets(progress.groupId);
  let lag = 0;
  for (const topic of new Set(progress.assigned.map((a) => a.topic))) {
    const ends = await admin.topicOffsets(topic);
    for (const { partition } of progress.assigned.filter((a) => a.topic === topic)) {
      const position = committed.find((c) => c.topic === topic && c.partition === partition)?.offset;
      // Nothing committed yet tells nothing: a group that starts at the end of the log (the live
      // relay) commits only once something arrives. A fresh consumer that is stuck shows as busy.
      if (position === undefined || BigInt(position) < 0n) continue;
      lag += lagOf(
        ends.find((e) => e.partition === partition),
        position,
      );
    }
  }
  return lag;
}
