import { EVENT_TOPIC, type EventType } from '@parley/events';
import { TOPIC_CATALOGUE, prefixedTopic } from '@parley/topics';
import { CliError } from './cli-error';

/**
 * A topic named on the command line (its catalogue name, like `chat.messages` or
 * `chat.messages.dlq`) as the cluster names it; unknown names and topics missing from the cluster
 * are refused with what exists.
 */
export function resolveTopic(name: string, prefix: string, onCluster: ReadonlySet<string>): string {
  const known = TOPIC_CATALOGUE.map((t) => t.name);
  const bare = prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name;
  if (!known.includes(bare))
    throw new CliError(`unknown topic "${name}": the topics are ${known.join(', ')}`);
  const full = prefixedTopic(prefix, bare);
  if (!onCluster.has(full))
    throw new CliError(
      `topic ${full} is not on the cluster: start Parley once (npm start creates the topics), or check KAFKA_BROKERS and TOPIC_PREFIX`,
    );
  return full;
}

/** `--type` values, checked against the event catalogue (and, given a topic, against what it carries). */
export function resolveEventTypes(types: readonly string[], catalogueTopic?: string): Set<string> {
  const all = Object.keys(EVENT_TOPIC) as EventType[];
  const source = catalogueTopic?.replace(/\.dlq$/, '');
  for (const type of types) {
    if (!all.includes(type as EventType))
      throw new CliError(`unknown event type "${type}": the types are ${all.join(', ')}`);
    if (source && EVENT_TOPIC[type as EventType] !== source)
      throw new CliError(`${type} events are on ${EVENT_TOPIC[type as EventType]}, not on ${catalogueTopic}`);
  }
  return new Set(types);
}
