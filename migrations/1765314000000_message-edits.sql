-- Up Migration
-- Message edits (MessageEdited on chat.messages, PROTOCOL §2.7).
--
-- messages.text is the latest edit's text (latest by log order) and edited_at that edit's time;
-- a deletion for everybody erases both, and the edits below, with the text.
ALTER TABLE messages ADD COLUMN edited_at timestamptz;

-- The edits applied to each message, by the client's edit id: a retried edit (the same editId) is
-- recorded once, and the gateway answers a retry from here. `position` is the offset of the
-- MessageEdited record that counted (the first one of its editId).
CREATE TABLE message_edits (
  message_id text        NOT NULL,
  edit_id    text        NOT NULL,
  position   bigint      NOT NULL,
  edited_at  timestamptz NOT NULL,
  PRIMARY KEY (message_id, edit_id)
);

-- An inbox gets one `edited` item per edit: the edit id joins the key that keeps items unique
-- (empty for messages and deletions, which stay one per message and kind).
ALTER TABLE inbox_items ADD COLUMN edit_id text NOT NULL DEFAULT '';
DROP INDEX inbox_items_once;
CREATE UNIQUE INDEX inbox_items_once ON inbox_items (user_id, kind, message_id, edit_id);

-- Down Migration
-- The old key holds one item per message and kind: the edit items go (their positions stay holes,
-- which devices pass over as they pass over items the retention removed).
DROP INDEX inbox_items_once;
DELETE FROM inbox_items WHERE kind = 'edited';
CREATE UNIQUE INDEX inbox_items_once ON inbox_items (user_id, kind, message_id);
ALTER TABLE inbox_items DROP COLUMN edit_id;
DROP TABLE message_edits;
ALTER TABLE messages DROP COLUMN edited_at;
