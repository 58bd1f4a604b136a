-- Up Migration
-- A message item not delivered within the delivery TTL is failed (MessageFailed), once.
ALTER TABLE inbox_items ADD COLUMN failed_at timestamptz;
CREATE INDEX inbox_items_undelivered ON inbox_items (created_at)
  WHERE delivered_at IS NULL AND failed_at IS NULL AND kind = 'message';

-- Down Migration
DROP INDEX inbox_items_undelivered;
ALTER TABLE inbox_items DROP COLUMN failed_at;
