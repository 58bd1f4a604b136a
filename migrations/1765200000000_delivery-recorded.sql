-- Up Migration
-- An ACK marks `delivered_at` (which device, in `delivered_device_id`); `delivery_recorded_at` says
-- that MessageDelivered is on the log. A row marked but not recorded (a crash or a Kafka failure in
-- between) is published again by the delivery worker's catch-up, never unmarked, so the failure
-- paths (TTL, retry budget), which look at `delivered_at`, never fail a message a device ACKed.
ALTER TABLE inbox_items ADD COLUMN delivered_device_id text;
ALTER TABLE inbox_items ADD COLUMN delivery_recorded_at timestamptz;
-- Rows delivered before this column existed had their event recorded (or lost for good).
UPDATE inbox_items SET delivery_recorded_at = delivered_at WHERE delivered_at IS NOT NULL;
CREATE INDEX inbox_items_delivery_unrecorded ON inbox_items (delivered_at)
  WHERE delivered_at IS NOT NULL AND delivery_recorded_at IS NULL AND kind = 'message';

-- Down Migration
DROP INDEX inbox_items_delivery_unrecorded;
ALTER TABLE inbox_items DROP COLUMN delivery_recorded_at;
ALTER TABLE inbox_items DROP COLUMN delivered_device_id;
