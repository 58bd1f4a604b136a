-- Up Migration
-- Which delivered items still wait for their MessageDelivered to be on the log: a row of their own
-- instead of inbox_items.delivery_recorded_at. The delivered mark inserts the row in its statement;
-- the gateway deletes it once the event is recorded (about 250 ms later); the delivery worker's
-- catch-up publishes what stays. Before, recording updated the inbox item a third time (inserted,
-- marked delivered, marked recorded), and not HOT: the column was in a partial index's predicate, so
-- each update wrote a new tuple and an entry in each of the item's indexes. A row here lives a
-- fraction of a second, in a table that stays small.
-- Order of an upgrade: this migration before the new gateways and delivery workers (npm start and
-- the projector apply it first). A new gateway on the old schema fails its delivered marks; an old
-- one on the new schema would leave no row for the catch-up.
-- No mark may commit between the copy below and the column's removal.
LOCK TABLE inbox_items IN SHARE ROW EXCLUSIVE MODE;
CREATE TABLE inbox_deliveries_unrecorded (
  user_id      text        NOT NULL,
  position     bigint      NOT NULL,
  delivered_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, position)
);
-- The catch-up takes the oldest first; after an outage of the log this table can be large.
CREATE INDEX inbox_deliveries_unrecorded_at ON inbox_deliveries_unrecorded (delivered_at);

INSERT INTO inbox_deliveries_unrecorded (user_id, position, delivered_at)
SELECT user_id, position, delivered_at FROM inbox_items
 WHERE delivered_at IS NOT NULL AND delivery_recorded_at IS NULL AND kind = 'message';
DROP INDEX inbox_items_delivery_unrecorded;
ALTER TABLE inbox_items DROP COLUMN delivery_recorded_at;

-- Down Migration
ALTER TABLE inbox_items ADD COLUMN delivery_recorded_at timestamptz;
UPDATE inbox_items i SET delivery_recorded_at = i.delivered_at
 WHERE i.delivered_at IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM inbox_deliveries_unrecorded d
                    WHERE d.user_id = i.user_id AND d.position = i.position);
CREATE INDEX inbox_items_delivery_unrecorded ON inbox_items (delivered_at)
  WHERE delivered_at IS NOT NULL AND delivery_recorded_at IS NULL AND kind = 'message';
DROP TABLE inbox_deliveries_unrecorded;
