import { loadConfig, type Config } from '@parley/config';
import { KafkaAdmin, createKafka, type KafkaClient } from '@parley/kafka';
import { CliError, resolveTopic } from '@parley/operations';

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: NodeJS.WriteStream;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Ends `events tail` (Ctrl-C in a terminal). */
  readonly interrupted?: Promise<void>;
}

export interface Clients {
  readonly config: Config;
  readonly kafka: KafkaClient;
  readonly admin: KafkaAdmin;
}

/** What the command groups are built with. */
export interface CliContext {
  readonly io: CliIo;
  /**
   * The configuration and a connected Kafka admin, made on first use: help, usage errors and
   * refused arguments need no cluster.
   */
  readonly connect: () => Promise<Clients>;
  /** A catalogue topic name given on the command line, as the cluster names it. */
  readonly topic: (name: string) => Promise<string>;
}

/** The context of one command line, with `close` to disconnect what it connected. */
export function createCliContext(io: CliIo): CliContext & { readonly close: () => Promise<void> } {
  let clients: Clients | undefined;
  const connect = async (): Promise<Clients> => {
    if (clients) return clients;
    const config = loadConfig(io.env ?? process.env);
    const kafka = createKafka({
      brokers: config.kafka.brokers,
      clientId: `${config.kafka.clientId}-cli`,
      security: config.kafka.security,
    });
    const admin = new KafkaAdmin(kafka);
    try {
      await admin.connect();
    } catch (error) {
      throw new CliError(
        `cannot reach Kafka at ${config.kafka.brokers.join(',')} (${(error as Error).message}): start Parley (npm start) or set KAFKA_BROKERS`,
      );
    }
    clients = { config, kafka, admin };
    return clients;
  };
  return {
    io,
    connect,
    topic: async (name) => {
      const { admin, config } = await connect();
      return resolveTopic(name, config.kafka.topicPrefix, new Set(await admin.listTopics()));
    },
    close: async () => {
      await clients?.admin.disconnect().catch(() => undefined);
    },
  };
}
