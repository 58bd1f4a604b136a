-- Up Migration
-- DeliveryPending is told once per item: when it is appended for a recipient with no device online,
-- or when the recipient goes offline with it still undelivered. pending_at records that it was.
ALTER TABLE inbox_items ADD COLUMN pending_at timestamptz;
-- The undelivered items not yet told pending: few (in flight to online devices), found per user.
CREATE INDEX inbox_items_unpending ON inbox_items (user_id, created_at)
  WHERE kind = 'message' AND delivered_at IS NULL AND failed_at IS NULL AND pending_at IS NULL;

-- Down Migration
DROP INDEX inbox_items_unpending;
ALTER TABLE inbox_items DROP COLUMN pending_at;
