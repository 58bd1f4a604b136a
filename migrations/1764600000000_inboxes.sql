-- Up Migration
-- Delivery state (apps/delivery and the gateway), PROTOCOL §3 "Delivery semantics".
--
-- Everything addressed to a user is an item of that user's inbox, at a position. Positions are
-- allocated from the user's row in inbox_heads, which the allocating transaction keeps locked until
-- it commits: a transaction that takes a higher position for the same user waits, so positions
-- commit in order and a reader resuming "after N" never skips one (DESIGN: the global-sequence trap).
CREATE TABLE inbox_heads (
  user_id       text PRIMARY KEY,
  last_position bigint NOT NULL
);

CREATE TABLE inbox_items (
  user_id         text        NOT NULL,
  position        bigint      NOT NULL,
  -- 'message' or 'deleted'
  kind            text        NOT NULL,
  message_id      text        NOT NULL,
  conversation_id text        NOT NULL,
  -- The frame body the devices receive (PROTOCOL §3 `/user/queue/messages`).
  body            jsonb       NOT NULL,
  created_at      timestamptz NOT NULL,
  -- Set by the first ACK from any of the user's devices (MessageDelivered is produced then).
  delivered_at    timestamptz,
  PRIMARY KEY (user_id, position)
);
-- One item per message and kind per user, however often the event is read.
CREATE UNIQUE INDEX inbox_items_once ON inbox_items (user_id, kind, message_id);

-- How far each device has ACKed its user's inbox: every item up to acked_position is acknowledged.
CREATE TABLE device_positions (
  user_id        text        NOT NULL,
  device_id      text        NOT NULL,
  acked_position bigint      NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, device_id)
);

-- Down Migration
DROP TABLE device_positions;
DROP TABLE inbox_items;
DROP TABLE inbox_heads;
