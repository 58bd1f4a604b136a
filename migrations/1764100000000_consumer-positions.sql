-- Up Migration
-- Where each projection stands in each partition. A projection writes its rows and its position
-- in one transaction, so a crash can neither apply an event twice nor skip one.
CREATE TABLE consumer_positions (
  projection  text    NOT NULL,
  topic       text    NOT NULL,
  partition   integer NOT NULL,
  -- The next offset to read (Kafka's convention for committed offsets).
  next_offset bigint  NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, topic, partition)
);

-- Down Migration
DROP TABLE consumer_positions;
