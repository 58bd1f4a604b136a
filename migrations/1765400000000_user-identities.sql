-- Up Migration
-- Sign-in with a provider (issue 14). user_identities is the identities read model, rebuilt from the
-- IdentityLinked and IdentityUnlinked events of chat.users: one row per identity at a provider
-- (provider, subject), linked to one account. identity_claims is its side table, like
-- username_claims: the gateway claims an identity before it produces its IdentityLinked event, so two
-- racing first sign-ins with one identity cannot make two accounts; a claim whose events never got
-- onto the topic (lease run out, no read-model row) is taken over by the next attempt.
CREATE TABLE user_identities (
  provider       text NOT NULL,
  subject        text NOT NULL,
  user_id        text NOT NULL,
  verified_email text,
  linked_at      timestamptz NOT NULL,
  PRIMARY KEY (provider, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);
CREATE INDEX user_identities_email ON user_identities (verified_email) WHERE verified_email IS NOT NULL;

CREATE TABLE identity_claims (
  provider    text NOT NULL,
  subject     text NOT NULL,
  user_id     text NOT NULL,
  claimed_at  timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  PRIMARY KEY (provider, subject)
);

-- Down Migration
DROP TABLE identity_claims;
DROP TABLE user_identities;
