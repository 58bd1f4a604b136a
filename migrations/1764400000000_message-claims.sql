-- Up Migration
-- Idempotent sends with no time window (PROTOCOL §2: the same messageId returns the same answer and
-- creates nothing new). The gateway claims a messageId before it produces MessageSent and marks the
-- claim acked once Kafka has the event; the messages projection writes the same rows (acked), so the
-- table is rebuilt from chat.messages like every other read model.
CREATE TABLE message_claims (
  message_id      text PRIMARY KEY,
  sender_id       text NOT NULL,
  conversation_id text NOT NULL,
  sent_at         timestamptz NOT NULL,
  acked           boolean NOT NULL DEFAULT false,
  -- Until then the claiming gateway is producing the event; a claim that is neither acked nor leased
  -- (its gateway crashed or Kafka refused) is taken over by the next attempt with the same messageId.
  lease_until     timestamptz NOT NULL DEFAULT now()
);

-- Recipients and group members are checked against claims too (registered, not yet projected).
CREATE INDEX username_claims_user ON username_claims (user_id);

-- History by time across conversations (GET /v1/messages?since=).
CREATE INDEX messages_conversation_sent_at ON messages (conversation_id, sent_at);

-- Down Migration
DROP INDEX messages_conversation_sent_at;
DROP INDEX username_claims_user;
DROP TABLE message_claims;
