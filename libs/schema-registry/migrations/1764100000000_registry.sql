-- Up Migration
-- Schemas are global: the same schema under two subjects has one id, and ids never change.
CREATE TABLE registry_schemas (
  id          serial PRIMARY KEY,
  schema_type text NOT NULL DEFAULT 'AVRO',
  schema      text NOT NULL,
  fingerprint text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE registry_versions (
  subject    text    NOT NULL,
  version    integer NOT NULL,
  schema_id  integer NOT NULL REFERENCES registry_schemas (id),
  deleted    boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subject, version)
);
CREATE INDEX registry_versions_schema ON registry_versions (schema_id);

-- subject '' holds the global level (no subject can be named '' in a URL).
CREATE TABLE registry_config (
  subject       text PRIMARY KEY,
  compatibility text NOT NULL
);

-- Down Migration
DROP TABLE registry_config;
DROP TABLE registry_versions;
DROP TABLE registry_schemas;
