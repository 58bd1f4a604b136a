-- Up Migration
-- The retention job deletes the oldest items every second; without this it read the whole table.
CREATE INDEX inbox_items_created ON inbox_items (created_at);

-- Down Migration
DROP INDEX inbox_items_created;
