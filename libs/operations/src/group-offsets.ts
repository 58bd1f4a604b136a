import type { KafkaAdmin } from '@parley/kafka';
import { lagOf } from '@parley/observability';
import { CliError } from './cli-error';

export interface GroupOffsetRow {
  readonly group: string;
  readonly state: string;
  readonly topic: string;
  readonly partition: number;
  /** -1: nothing committed. */
  readonly committed: string;
  readonly end: string;
  readonly lag: number;
}

/** `offsets show`: each Parley group's committed offsets next to the end offsets, with lag. */
export async function showOffsets(
  admin: KafkaAdmin,
  prefix: string,
  group?: string,
): Promise<GroupOffsetRow[]> {
  const groups = await admin.listGroups(`${prefix}parley.`);
  const chosen = group === undefined ? groups : groups.filter((g) => g.groupId === group);
  if (group !== undefined && chosen.length === 0)
    throw new CliError(
      `unknown consumer group "${group}": the groups are ${groups.map((g) => g.groupId).join(', ') || '(none)'}`,
    );
  const rows: GroupOffsetRow[] = [];
  const ends = new Map<string, Awaited<ReturnType<KafkaAdmin['topicOffsets']>>>();
  for (const g of chosen) {
    for (const c of await admin.committedOffsets(g.groupId)) {
      if (!ends.has(c.topic)) ends.set(c.topic, await admin.topicOffsets(c.topic));
      const end = ends.get(c.topic)?.find((p) => p.partition === c.partition);
      rows.push({
        group: g.groupId,
        state: g.state,
        topic: c.topic,
        partition: c.partition,
        committed: c.offset,
        end: end?.high ?? '?',
        lag: lagOf(end, c.offset),
      });
    }
  }
  return rows;
}

export type ResetTarget =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'offset'; readonly offset: bigint }
  | { readonly kind: 'time'; readonly timestamp: number };

export interface ResetPlanRow {
  readonly partition: number;
  readonly from: string;
  readonly to: string;
}

/**
 * `offsets reset`: moves a group's committed offsets on one topic. Refused while the group has
 * members (they would overwrite it at once, and Kafka refuses anyway): stop its workers first.
 */
export async function resetOffsets(
  admin: KafkaAdmin,
  options: { group: string; topic: string; to: ResetTarget; dryRun?: boolean },
): Promise<ResetPlanRow[]> {
  const groups = await admin.listGroups('');
  const group = groups.find((g) => g.groupId === options.group);
  if (!group) throw new CliError(`unknown consumer group "${options.group}"`);
  if (group.members > 0 || !['Empty', 'Dead'].includes(group.state))
    throw new CliError(
      `group ${options.group} is active (${group.state}, ${group.members} member(s)): stop its workers, then reset`,
    );
  const ends = await admin.topicOffsets(options.topic);
  const committed = (await admin.committedOffsets(options.group)).filter((c) => c.topic === options.topic);
  const atTime =
    options.to.kind === 'time' ? await admin.offsetsAtTime(options.topic, options.to.timestamp) : [];
  const plan = ends.map((end) => {
    const low = BigInt(end.low);
    const high = BigInt(end.high);
    let to: bigint;
    switch (options.to.kind) {
      case 'earliest':
        to = low;
        break;
      case 'latest':
        to = high;
        break;
      case 'offset':
        if (options.to.offset < low || options.to.offset > high)
          throw new CliError(
            `offset ${options.to.offset} is outside partition ${end.partition} (${low}-${high})`,
          );
        to = options.to.offset;
        break;
      case 'time': {
        const found = atTime.find((o) => o.partition === end.partition);
        to = found && BigInt(found.offset) >= 0n ? BigInt(found.offset) : high;
        break;
      }
    }
    return {
      partition: end.partition,
      from: committed.find((c) => c.partition === end.partition)?.offset ?? '-1',
      to: String(to),
    };
  });
  if (!options.dryRun)
    await admin.setGroupOffsets(
      options.group,
      options.topic,
      plan.map((p) => ({ partition: p.partition, offset: p.to })),
    );
  return plan;
}
