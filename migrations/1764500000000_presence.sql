-- Up Migration
-- chat.presence: each user's last known presence and when they were last seen (PROTOCOL §2
-- `GET /v1/users/{userId}/presence` for users with no live session, and "last seen" in clients).
CREATE TABLE presence (
  user_id    text PRIMARY KEY,
  status     text NOT NULL,
  last_seen  timestamptz NOT NULL,
  changed_at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE presence;
