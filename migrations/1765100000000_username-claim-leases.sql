-- Up Migration
-- A registration holds its username claim under a lease until Kafka has its events, then confirms
-- it (NULL). A claim whose lease ran out unconfirmed (Kafka refused, or its gateway died) and whose
-- user is not in the users read model is taken over by the next registration of that name, under
-- the same user id, so a retry completes the registration instead of finding the name taken. Claims
-- the users projection writes, and every claim before this migration, are confirmed.
ALTER TABLE username_claims ADD COLUMN lease_until timestamptz;

-- Down Migration
ALTER TABLE username_claims DROP COLUMN lease_until;
