-- Up Migration
-- Usernames are claimed when a registration is accepted, before its UserRegistered event is
-- projected, so two racing registrations cannot both get one name. The users projection writes the
-- same claims, so the table is rebuilt from chat.users like every other read model.
CREATE TABLE username_claims (
  username   text PRIMARY KEY,
  user_id    text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE username_claims;
