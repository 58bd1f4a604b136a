import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds from a message's send to its first delivery: bucket edges from 5 ms to 1 minute. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * One service's Prometheus registry: the Node.js process defaults plus Parley's own metrics, all
 * labelled with the service. Metrics a service does not produce simply stay empty.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly stompFrames: Counter<'command'>;
  readonly sendToDeliver: Histogram;
  readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  readonly projectionLag: Gauge<'projection' | 'topic' | 'partition'>;
  readonly deadLettered: Gauge<'topic'>;
  readonly consumerRetries: Counter<'group' | 'verdict'>;
  readonly consumerRestarts: Counter<'group'>;

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_' });
    this.httpRequests = new Counter({
      name: 'parley_http_requests_total',
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.stompFrames = new Counter({
      name: 'parley_stomp_frames_total',
      help: 'STOMP frames received from clients, by command',
      labelNames: ['command'],
      registers: [this.registry],
    });
    this.sendToDeliver = new Histogram({
      name: 'parley_send_to_deliver_seconds',
      help: "From a message's send to the first ACK by a device of its recipient",
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.consumerLag = new Gauge({
      name: 'parley_consumer_lag',
      help: 'Records not yet committed by a consumer group, per partition (end offset - committed offset)',
      labelNames: ['group', 'topic', 'partition'],
      registers: [this.registry],
    });
    this.projectionLag = new Gauge({
      name: 'parley_projection_lag',
      help: 'Records not yet applied to a read model, per partition (end offset - projection position)',
      labelNames: ['projection', 'topic', 'partition'],
      registers: [this.registry],
    });
    this.deadLettered = new Gauge({
      name: 'parley_dlq_records',
      help: 'Records held in each dead-letter topic',
      labelNames: ['topic'],
      registers: [this.registry],
    });
    this.consumerRetries = new Counter({
      name: 'parley_consumer_retries_total',
      help: 'Consumer steps retried after a failure, by group and verdict (transient: never dead-lettered)',
      labelNames: ['group', 'verdict'],
      registers: [this.registry],
    });
    this.consumerRestarts = new Counter({
      name: 'parley_consumer_restarts_total',
      help: 'Consumers rebuilt after kafkajs gave up on them (crashed without restarting), by group',
      labelNames: ['group'],
      registers: [this.registry],
    });
  }

  /**
   * Counts what the Kafka consumers report (an `Instrument` of libs/kafka, typed structurally):
   * every retried step, by group and verdict ('transient' ones are retried for as long as it takes),
   * and every consumer rebuilt after a crash.
   */
  readonly kafkaInstrument = (event: {
    readonly name: string;
    readonly groupId?: string;
    readonly verdict?: string;
  }) => {
    if (event.name === 'consumer.retry')
      this.consumerRetries.inc({ group: event.groupId ?? '', verdict: event.verdict ?? 'unknown' });
    else if (event.name === 'consumer.restart') this.consumerRestarts.inc({ group: event.groupId ?? '' });
  };

  /** A counter of this registry (a service's own events, the notifier's sends for example). */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames: [...labelNames], registers: [this.registry] });
  }

  /** A gauge read when scraped (open sessions, for example). */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
