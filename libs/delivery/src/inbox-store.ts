import type { Pool } from 'pg';
import { genericArray } from '@parley/postgres';
import { MicroBatcher } from '@parley/runtime';
import type { InboxBody } from './inbox-projection';

export interface InboxItem {
  readonly position: number;
  readonly body: InboxBody;
}

/** A device name for a session without `device-id`: a device of its own for the session's life. */
export const isSessionDevice = (deviceId: string): boolean => deviceId.startsWith('session:');

/** An item of a user's inbox. */
interface PositionOf {
  readonly userId: string;
  readonly position: number;
}

interface AckedPosition {
  readonly userId: string;
  readonly deviceId: string;
  readonly position: number;
}

/** A position save waiting for a statement to take it. */
interface Rider {
  readonly entry: AckedPosition;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Saves device positions given as three arrays from parameter `$first` on (users, devices,
 * positions), in key order; a position never moves back.
 */
function savePositions(first: number, wrap: (param: string) => string = (param) => param): string {
  const [users, devices, positions] = [
    `$${first}::text[]`,
    `$${first + 1}::text[]`,
    `$${first + 2}::bigint[]`,
  ].map(wrap);
  return `INSERT INTO device_positions (user_id, device_id, acked_position)
          SELECT * FROM unnest(${users}, ${devices}, ${positions})
          ON CONFLICT (user_id, device_id) DO UPDATE
            SET acked_position = GREATEST(device_positions.acked_position, EXCLUDED.acked_position),
                updated_at = now()`;
}

/**
 * One row per device (a statement may not update a row twice), the highest position winning, in
 * key order: two statements saving overlapping devices lock their rows in the same order.
 */
function highestPerDevice(entries: readonly AckedPosition[]): AckedPosition[] {
  const highest = new Map<string, AckedPosition>();
  for (const entry of entries) {
    const key = `${entry.userId}\0${entry.deviceId}`;
    const known = highest.get(key);
    if (!known || known.position < entry.position) highest.set(key, entry);
  }
  return [...highest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
}

/**
 * A CTE body that locks the inbox rows named by `keys` (a relation with user_id, position) in key
 * order. Several delivery workers and gateways update overlapping rows in batches; rows locked in
 * whatever order a join produces can deadlock (seen under load: "deadlock detected" on inbox_items),
 * rows locked in one global order cannot. ORDER BY with FOR UPDATE locks in the sorted order.
 * `carried` columns (of `i` or `k`) come along, so that a statement can join the locked rows alone:
 * the planner expects one row from such CTEs, and a join of two of them became a nested loop
 * comparing every row with every other (2,000 ACKs took 1 s in one statement; 30 ms joined once).
 */
export function lockInOrder(keys: string, carried: readonly string[] = []): string {
  const columns = ['i.user_id', 'i.position', ...carried].join(', ');
  return `SELECT ${columns} FROM inbox_items i JOIN ${keys} k
            ON i.user_id = k.user_id AND i.position = k.position
          ORDER BY i.user_id, i.position FOR UPDATE OF i`;
}

/** Reads inboxes and keeps device positions (PostgreSQL: positions must survive anything). */
export class InboxStore {
  /** The positions saved meanwhile share one statement; one at a time, so they never crowd the pool. */
  private readonly positions = new MicroBatcher<AckedPosition, undefined>((batch) => this.saveAll(batch), {
    serial: true,
    maxBatch: 5_000,
  });
  /**
   * Position saves of this turn of the event loop, not yet handed to `positions`: a delivered mark
   * made in the same turn (an ACK both marks its item and moves its device's position) takes them
   * into its own statement, one round trip and one commit instead of two.
   */
  private riders: Rider[] = [];
  private ridersScheduled = false;
  /** Delivered marks carrying position saves, until they are written (for positionsSaved). */
  private readonly carrying = new Set<Promise<void>>();

  constructor(private readonly pool: Pool) {}

  /**
   * Where a device resumes: after its own last ACKed item; a device seen for the first time (or a
   * session without device-id) starts after the last item that any of the user's devices ACKed.
   */
  async startPosition(userId: string, deviceId: string): Promise<number> {
    const { rows } = await this.pool.query<{ own: string | null; any: string | null }>(
      `SELECT (SELECT acked_position FROM device_positions WHERE user_id = $1 AND device_id = $2) AS own,
              (SELECT max(acked_position) FROM device_positions WHERE user_id = $1) AS any`,
      [userId, deviceId],
    );
    const row = rows[0];
    if (row?.own != null) return Number(row.own);
    const start = Number(row?.any ?? 0);
    if (!isSessionDevice(deviceId)) {
      // Remembered from now on, so its next connection resumes from its own position.
      await this.pool.query(
        `INSERT INTO device_positions (user_id, device_id, acked_position) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING`,
        [userId, deviceId, start],
      );
    }
    return start;
  }

  async itemsAfter(userId: string, after: number, limit: number): Promise<InboxItem[]> {
    const { rows } = await this.pool.query<{ position: string; body: InboxBody }>({
      name: 'inbox_items_after',
      text: 'SELECT position, body FROM inbox_items WHERE user_id = $1 AND position > $2 ORDER BY position LIMIT $3',
      values: [userId, after, limit],
    });
    return rows.map((row) => ({ position: Number(row.position), body: row.body }));
  }

  /** The last allocated position of each of these inboxes (absent: nothing was ever allocated). */
  async lastPositions(userIds: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ user_id: string; last_position: string }>({
      name: 'inbox_last_positions',
      text: 'SELECT user_id, last_position FROM inbox_heads WHERE user_id = ANY($1::text[])',
      values: [userIds],
    });
    return new Map(rows.map((row) => [row.user_id, Number(row.last_position)]));
  }

  /**
   * The lowest position after `after` the inbox still holds or will hold: the oldest kept item, or
   * the next position to be allocated when every item after `after` has been trimmed; undefined when
   * nothing was ever allocated past `after`.
   */
  async oldestPositionAfter(userId: string, after: number): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ oldest: string | null; head: string | null }>(
      `SELECT (SELECT min(position) FROM inbox_items WHERE user_id = $1 AND position > $2) AS oldest,
              (SELECT last_position FROM inbox_heads WHERE user_id = $1) AS head`,
      [userId, after],
    );
    const row = rows[0];
    if (row?.oldest != null) return Number(row.oldest);
    if (row?.head != null && Number(row.head) > after) return Number(row.head) + 1;
    return undefined;
  }

  /** Resolves once every position handed to saveAcked so far is written (or failed). */
  async positionsSaved(): Promise<void> {
    this.sendRiders();
    await Promise.allSettled([...this.carrying]);
    await this.positions.drained();
  }

  /** Every item up to `position` is ACKed by the device (positions never move back). */
  saveAcked(userId: string, deviceId: string, position: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.riders.push({ entry: { userId, deviceId, position }, resolve, reject });
      if (this.ridersScheduled) return;
      this.ridersScheduled = true;
      // After the delivered marks of this turn (their batcher was scheduled first), which take them.
      setImmediate(() => this.sendRiders());
    });
  }

  /** The position saves no delivered mark took: on their own. */
  private sendRiders(): void {
    this.ridersScheduled = false;
    this.alone(this.riders.splice(0));
  }

  /** Position saves in statements of their own (the `positions` batcher). */
  private alone(riders: readonly Rider[]): void {
    for (const { entry, resolve, reject } of riders)
      this.positions.submit(entry).then(() => resolve(), reject);
  }

  private async saveAll(batch: readonly AckedPosition[]): Promise<undefined[]> {
    const rows = highestPerDevice(batch);
    await this.pool.query({
      name: 'device_positions_save',
      text: savePositions(1),
      values: [rows.map((r) => r.userId), rows.map((r) => r.deviceId), rows.map((r) => r.position)],
    });
    return batch.map(() => undefined);
  }

  /**
   * Marks items delivered by the device that ACKed them; returns the messages for which this was
   * their user's first ACK. The mark stays: MessageDelivered for it is published next and then
   * `markRecorded`; if that never happens, the delivery worker's catch-up publishes it. The same
   * statement notes each mark in inbox_deliveries_unrecorded, the rows recording deletes (the item
   * itself is not written again).
   */
  async markDelivered(acks: readonly AckedPosition[]): Promise<(InboxItem & { userId: string })[]> {
    const riders = this.riders.splice(0);
    const saving = highestPerDevice(riders.map((rider) => rider.entry));
    const query = this.pool.query<{ user_id: string; position: string; body: InboxBody }>({
      name: saving.length > 0 ? 'inbox_items_mark_delivered_saving_positions' : 'inbox_items_mark_delivered',
      // One row per item (a statement may not update a row twice): of two devices that ACKed one item
      // in the same batch, either may be recorded (DISTINCT ON sorts by the item only; both ACKed it).
      // Rows are locked in key order first (see lockInOrder): statements of several workers and
      // gateways touch overlapping rows, and any other order can deadlock. The devices' positions
      // (saveAcked of the same turn) are written by the same statement, devices in key order.
      // Whether an item is still undelivered is read from the locked row (its latest version, as
      // FOR UPDATE re-reads a row another ACK changed meanwhile), never from inbox_items in the
      // UPDATE: that predicate let the planner walk every undelivered item through the
      // delivered_at index and compare each with every ACK (a plan made while the table was
      // small: 2,000 ACKs against a backlog of 60,000 took 57 s; 90 ms now with the same plan).
      text: `WITH q AS (SELECT DISTINCT ON (user_id, position) *
                       FROM unnest(${['$1::text[]', '$2::bigint[]', '$3::text[]'].map(genericArray).join(', ')})
                         AS u(user_id, position, device_id)
                      ORDER BY user_id, position),
              locked AS (${lockInOrder('q', ['k.device_id', 'i.delivered_at', 'i.kind'])})${
                saving.length > 0
                  ? `,
              saved AS (${savePositions(4, genericArray)})`
                  : ''
              },
              marked AS (UPDATE inbox_items i SET delivered_at = now(), delivered_device_id = locked.device_id
                           FROM locked
                          WHERE i.user_id = locked.user_id AND i.position = locked.position
                            AND locked.delivered_at IS NULL AND locked.kind = 'message'
                          RETURNING i.user_id, i.position, i.body, i.delivered_at),
              unrecorded AS (INSERT INTO inbox_deliveries_unrecorded (user_id, position, delivered_at)
                             SELECT user_id, position, delivered_at FROM marked)
             SELECT user_id, position, body FROM marked`,
      values: [
        acks.map((a) => a.userId),
        acks.map((a) => a.position),
        acks.map((a) => a.deviceId),
        ...(saving.length > 0
          ? [saving.map((r) => r.userId), saving.map((r) => r.deviceId), saving.map((r) => r.position)]
          : []),
      ],
    });
    if (riders.length > 0) {
      const carried: Promise<void> = query
        .then(
          () => riders.forEach((rider) => rider.resolve()),
          // The mark failed (a lock wait, a deadlock on inbox_items): the positions go on their own,
          // as if no mark had taken them; the mark is tried again by its caller.
          () => this.alone(riders),
        )
        .finally(() => this.carrying.delete(carried));
      this.carrying.add(carried);
    }
    const { rows } = await query;
    return rows.map((row) => ({ userId: row.user_id, position: Number(row.position), body: row.body }));
  }

  /** MessageDelivered of these items is on the log: the catch-up leaves them alone. */
  async markRecorded(items: readonly PositionOf[]): Promise<void> {
    await this.pool.query({
      name: 'inbox_deliveries_recorded',
      // Rows in key order, as everywhere (see lockInOrder); the catch-up skips locked rows.
      text: `WITH q AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS u(user_id, position)),
                  locked AS (SELECT d.user_id, d.position FROM inbox_deliveries_unrecorded d JOIN q
                                 ON d.user_id = q.user_id AND d.position = q.position
                              ORDER BY d.user_id, d.position FOR UPDATE OF d)
             DELETE FROM inbox_deliveries_unrecorded d
              USING locked
              WHERE d.user_id = locked.user_id AND d.position = locked.position`,
      values: [items.map((a) => a.userId), items.map((a) => a.position)],
    });
  }

  /**
   * Marks messages failed for their users (a device's retry budget spent) unless delivered or failed
   * already; returns the rows it changed.
   */
  markFailed(items: readonly PositionOf[]): Promise<(InboxItem & { userId: string })[]> {
    return this.mark('failed_at', items);
  }

  /** Undoes markFailed when the MessageFailed events could not be recorded. */
  unmarkFailed(items: readonly PositionOf[]): Promise<void> {
    return this.unmark('failed_at', items);
  }

  /**
   * Fails message items that have no outcome yet (never one a device ACKed: a late ACK is the truth).
   * The outcome is read from the locked rows, as in markDelivered (no plan may walk an index of
   * every undelivered item).
   */
  private async mark(
    column: 'failed_at',
    items: readonly PositionOf[],
  ): Promise<(InboxItem & { userId: string })[]> {
    const { rows } = await this.pool.query<{ user_id: string; position: string; body: InboxBody }>({
      name: `inbox_items_mark_${column}`,
      text: `WITH q AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS u(user_id, position)),
                  locked AS (${lockInOrder('q', ['i.delivered_at', 'i.failed_at', 'i.kind'])})
             UPDATE inbox_items i SET ${column} = now()
               FROM locked
              WHERE i.user_id = locked.user_id AND i.position = locked.position
                AND locked.delivered_at IS NULL AND locked.failed_at IS NULL AND locked.kind = 'message'
              RETURNING i.user_id, i.position, i.body`,
      values: [items.map((a) => a.userId), items.map((a) => a.position)],
    });
    return rows.map((row) => ({ userId: row.user_id, position: Number(row.position), body: row.body }));
  }

  private async unmark(column: 'failed_at', items: readonly PositionOf[]): Promise<void> {
    await this.pool.query(
      `WITH q AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS u(user_id, position)),
            locked AS (${lockInOrder('q')})
       UPDATE inbox_items i SET ${column} = NULL
         FROM locked
        WHERE i.user_id = locked.user_id AND i.position = locked.position`,
      [items.map((a) => a.userId), items.map((a) => a.position)],
    );
  }
}
