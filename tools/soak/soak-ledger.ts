import { table } from '../bench/latency';

/**
 * What the soak's clients did and saw, and the verdict drawn from it: every send and when it was
 * acknowledged, every messageId each device received, and the faults with their times. Pure: the
 * checks against PostgreSQL hand their findings in as sets.
 */

export interface SendRecord {
  readonly messageId: string;
  readonly senderId: string;
  readonly recipients: readonly string[];
  readonly via: 'stomp' | 'http';
  readonly firstAttemptAt: number;
  attempts: number;
  lastAttemptAt: number;
  ackedAt: number | undefined;
}

export interface FaultRecord {
  readonly name: string;
  readonly at: number;
  /** When the fault was repaired (the service, broker or server answers again). */
  restoredAt: number | undefined;
  /** Why the repair failed, when it did. */
  failure?: string;
  /** The first acknowledgement of a send attempted after the fault. */
  firstAckAfter: number | undefined;
}

/** What the checks found for the acknowledged sends, by messageId. */
export interface Findings {
  /** Acknowledged, but not in history. */
  readonly missing: ReadonlySet<string>;
  /** In a read model more than once. */
  readonly duplicated: ReadonlySet<string>;
  /** messageId → the recipients whose device never received it. */
  readonly undelivered: ReadonlyMap<string, readonly string[]>;
}

export interface TableRow {
  readonly fault: string;
  readonly atSeconds: number;
  readonly recoverySeconds: number | undefined;
  readonly acknowledged: number;
  readonly longestAckGapSeconds: number;
  readonly missing: number;
  readonly duplicates: number;
  readonly undelivered: number;
}

export class SoakLedger {
  readonly sends = new Map<string, SendRecord>();
  readonly faults: FaultRecord[] = [];
  /** userId → messageIds its device received (a redelivery counts once). */
  readonly received = new Map<string, Set<string>>();

  /** When the traffic began (the warm-up window starts here). */
  startedAt = 0;

  begin(now: number): void {
    this.startedAt = now;
  }

  attempt(
    send: Omit<SendRecord, 'attempts' | 'lastAttemptAt' | 'ackedAt' | 'firstAttemptAt'>,
    now: number,
  ): void {
    const known = this.sends.get(send.messageId);
    if (known) {
      known.attempts++;
      known.lastAttemptAt = now;
      return;
    }
    this.sends.set(send.messageId, {
      ...send,
      firstAttemptAt: now,
      lastAttemptAt: now,
      attempts: 1,
      ackedAt: undefined,
    });
  }

  retried(messageId: string, now: number): void {
    const send = this.sends.get(messageId);
    if (!send) throw new Error(`retried ${messageId}, which was never sent`);
    send.attempts++;
    send.lastAttemptAt = now;
  }

  /** A RECEIPT or 202 for `messageId`, answering the attempt made at `attemptAt`. */
  acknowledge(messageId: string, attemptAt: number, now: number): void {
    const send = this.sends.get(messageId);
    if (!send) throw new Error(`acknowledged ${messageId}, which was never sent`);
    send.ackedAt ??= now;
    for (const fault of this.faults)
      if (fault.firstAckAfter === undefined && attemptAt >= fault.at) fault.firstAckAfter = now;
  }

  receive(userId: string, messageId: string): void {
    let seen = this.received.get(userId);
    if (!seen) this.received.set(userId, (seen = new Set()));
    seen.add(messageId);
  }

  fault(name: string, now: number): FaultRecord {
    const record: FaultRecord = { name, at: now, restoredAt: undefined, firstAckAfter: undefined };
    this.faults.push(record);
    return record;
  }

  acknowledged(): SendRecord[] {
    return [...this.sends.values()].filter((s) => s.ackedAt !== undefined);
  }

  unacknowledged(): SendRecord[] {
    return [...this.sends.values()].filter((s) => s.ackedAt === undefined);
  }

  /** Acknowledged messages some recipient's device has not received (yet). */
  undelivered(): Map<string, string[]> {
    const result = new Map<string, string[]>();
    for (const send of this.acknowledged()) {
      const missing = send.recipients.filter((r) => !this.received.get(r)?.has(send.messageId));
      if (missing.length > 0) result.set(send.messageId, missing);
    }
    return result;
  }

  /**
   * One row per window: before the first fault, then each fault until the next. A send belongs to
   * the window in which it was first attempted; the total row sums them.
   */
  table(findings: Findings): TableRow[] {
    const bounds = [
      { name: '(none: warm-up)', at: this.startedAt, firstAckAfter: undefined as number | undefined },
      ...this.faults,
    ];
    const rows = bounds.map((window, i): TableRow => {
      const end = bounds[i + 1]?.at ?? Infinity;
      const sends = this.acknowledged().filter(
        (s) => s.firstAttemptAt >= window.at && s.firstAttemptAt < end,
      );
      return {
        fault: window.name,
        atSeconds: (window.at - this.startedAt) / 1000,
        recoverySeconds:
          i === 0 || window.firstAckAfter === undefined
            ? undefined
            : (window.firstAckAfter - window.at) / 1000,
        acknowledged: sends.length,
        longestAckGapSeconds: longestGap(this.acknowledged(), window.at, end) / 1000,
        missing: sends.filter((s) => findings.missing.has(s.messageId)).length,
        duplicates: sends.filter((s) => findings.duplicated.has(s.messageId)).length,
        undelivered: sends.filter((s) => findings.undelivered.has(s.messageId)).length,
      };
    });
    const sum = (key: 'acknowledged' | 'missing' | 'duplicates' | 'undelivered') =>
      rows.reduce((total, row) => total + row[key], 0);
    return [
      ...rows,
      {
        fault: 'total',
        atSeconds: 0,
        recoverySeconds: undefined,
        acknowledged: sum('acknowledged'),
        longestAckGapSeconds: Math.max(...rows.map((r) => r.longestAckGapSeconds)),
        missing: sum('missing'),
        duplicates: sum('duplicates'),
        undelivered: sum('undelivered'),
      },
    ];
  }
}

/** The longest time within [from, to) without an acknowledgement (to ends at the last ack). */
function longestGap(sends: readonly SendRecord[], from: number, to: number): number {
  const times = sends
    .map((s) => s.ackedAt as number)
    .filter((t) => t >= from && t < to)
    .sort((a, b) => a - b);
  let longest = 0;
  let previous = from;
  for (const t of times) {
    longest = Math.max(longest, t - previous);
    previous = t;
  }
  return longest;
}

/** The table as text, for the console and docs/status.md (markdown). */
export function formatTable(rows: readonly TableRow[]): string {
  return table(
    [
      'fault',
      'at s',
      'recovery s',
      'sends acked',
      'longest ack gap s',
      'missing',
      'duplicates',
      'undelivered',
    ],
    rows.map((r) => [
      r.fault,
      r.fault === 'total' ? '' : r.atSeconds.toFixed(0),
      r.recoverySeconds === undefined ? '' : r.recoverySeconds.toFixed(1),
      r.acknowledged,
      r.longestAckGapSeconds.toFixed(1),
      r.missing,
      r.duplicates,
      r.undelivered,
    ]),
  );
}
