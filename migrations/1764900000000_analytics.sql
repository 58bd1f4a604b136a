-- Up Migration
-- apps/analytics: its own tables, written by its own consumer group (<prefix>parley.analytics) with
-- its positions in consumer_positions (projection 'analytics'), so every event counts exactly once.

-- What a delivery or a read is measured against; one row per message.
CREATE TABLE analytics_sent (
  message_id      text PRIMARY KEY,
  conversation_id text NOT NULL,
  seq             bigint NOT NULL,
  sent_at         timestamptz NOT NULL
);

-- First delivery per recipient; read_counted once a read has measured it.
CREATE TABLE analytics_deliveries (
  message_id      text NOT NULL,
  recipient_id    text NOT NULL,
  conversation_id text NOT NULL,
  seq             bigint NOT NULL,
  delivered_at    timestamptz NOT NULL,
  -- Offset of the MessageDelivered record: a read measures only deliveries before it in the log.
  delivered_pos   bigint NOT NULL,
  read_counted    boolean NOT NULL DEFAULT false,
  PRIMARY KEY (message_id, recipient_id)
);
-- Retention (pruneAnalytics) deletes by age.
CREATE INDEX analytics_sent_age ON analytics_sent (sent_at);
CREATE INDEX analytics_deliveries_age ON analytics_deliveries (delivered_at);
CREATE INDEX analytics_deliveries_unread ON analytics_deliveries (conversation_id, recipient_id, seq)
  WHERE NOT read_counted;

CREATE TABLE analytics_minutes (
  minute        timestamptz PRIMARY KEY,
  messages_sent bigint NOT NULL
);

-- Latency samples per minute (of the delivery or the read) in log-scale buckets (libs/analytics).
CREATE TABLE analytics_latency (
  minute  timestamptz NOT NULL,
  kind    text        NOT NULL,
  bucket  integer     NOT NULL,
  samples bigint      NOT NULL,
  PRIMARY KEY (minute, kind, bucket)
);

-- Who did something (sent, read, came online) in each minute.
CREATE TABLE analytics_active_users (
  minute  timestamptz NOT NULL,
  user_id text        NOT NULL,
  PRIMARY KEY (minute, user_id)
);

-- Down Migration
DROP TABLE analytics_active_users;
DROP TABLE analytics_latency;
DROP TABLE analytics_minutes;
DROP TABLE analytics_deliveries;
DROP TABLE analytics_sent;
