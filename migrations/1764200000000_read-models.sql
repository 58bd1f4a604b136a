-- Up Migration
-- Read models of the messaging core, rebuilt from the topics by apps/projector.
-- Each table is written from one topic only, so a rebuild (which reads topics in any interleaving)
-- ends in the same state as the live system; derived values (unread counts, last activity) are
-- computed at query time from these facts.

-- chat.users
CREATE TABLE users (
  user_id           text PRIMARY KEY,
  username          text NOT NULL UNIQUE,
  display_name      text,
  status            text NOT NULL DEFAULT 'ACTIVE',
  registered_at     timestamptz NOT NULL,
  status_changed_at timestamptz
);

-- chat.credentials
CREATE TABLE credentials (
  user_id       text PRIMARY KEY,
  password_hash text NOT NULL,
  set_at        timestamptz NOT NULL
);

-- chat.conversations
CREATE TABLE conversations (
  conversation_id text PRIMARY KEY,
  kind            text NOT NULL,
  title           text,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL
);

CREATE TABLE conversation_members (
  conversation_id text NOT NULL,
  user_id         text NOT NULL,
  joined_at       timestamptz NOT NULL,
  left_at         timestamptz,
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user ON conversation_members (user_id) WHERE left_at IS NULL;

-- chat.messages
CREATE TABLE messages (
  message_id            text PRIMARY KEY,
  conversation_id       text NOT NULL,
  -- The offset of the MessageSent record in its partition (PROTOCOL §2 `seq`).
  seq                   bigint NOT NULL,
  sender_id             text NOT NULL,
  recipient_id          text,
  text                  text NOT NULL,
  sent_at               timestamptz NOT NULL,
  deleted_for_everybody boolean NOT NULL DEFAULT false,
  deleted_at            timestamptz
);
CREATE UNIQUE INDEX messages_conversation_seq ON messages (conversation_id, seq);
CREATE INDEX messages_sent_at ON messages (sent_at);

-- Deleted "for me": hidden from one user only.
CREATE TABLE message_hidden (
  message_id text NOT NULL,
  user_id    text NOT NULL,
  hidden_at  timestamptz NOT NULL,
  PRIMARY KEY (message_id, user_id)
);

-- Status of a message per recipient, as the sender sees it. Only moves forward:
-- pending (1) < failed (2) < delivered (3) < read (4).
CREATE TABLE message_recipients (
  message_id   text NOT NULL,
  recipient_id text NOT NULL,
  status       text NOT NULL,
  status_rank  smallint NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (message_id, recipient_id)
);

-- How far each member has read each conversation (MessageRead up to seq); never moves back.
CREATE TABLE conversation_reads (
  conversation_id text NOT NULL,
  user_id         text NOT NULL,
  read_up_to_seq  bigint NOT NULL,
  read_at         timestamptz NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);

-- Down Migration
DROP TABLE conversation_reads;
DROP TABLE message_recipients;
DROP TABLE message_hidden;
DROP TABLE messages;
DROP TABLE conversation_members;
DROP TABLE conversations;
DROP TABLE credentials;
DROP TABLE users;
