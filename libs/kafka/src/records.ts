/** A record to produce. Keys decide the partition: everything that must stay ordered shares a key. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A consumed record, independent of the Kafka client library. */
export interface IncomingRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are 64-bit; kept as a decimal string as the client gives them. */
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string | undefined>>;
}
