-- The contract tables of DESIGN.md §3. Column order of `events` matches src/schema/event.ts.

CREATE TABLE events (
  event_id           VARCHAR NOT NULL,      -- sha-256 of the compact record text: redeliveries collapse (store.ts)
  time               TIMESTAMPTZ NOT NULL,  -- event time
  ingested_at        TIMESTAMPTZ NOT NULL,  -- commit time of the batch; strictly increasing per batch
  source             VARCHAR NOT NULL,
  category           VARCHAR NOT NULL,
  operation          VARCHAR NOT NULL,
  result             VARCHAR NOT NULL,
  status_code        VARCHAR,
  principal_id       VARCHAR,
  principal_name     VARCHAR,
  app_id             VARCHAR,
  principal_type     VARCHAR NOT NULL,
  auth_type          VARCHAR,
  caller_ip          VARCHAR,
  resource_id        VARCHAR,
  subscription_id    VARCHAR,
  resource_group     VARCHAR,
  resource_type      VARCHAR,
  resource_name      VARCHAR,
  target             VARCHAR,
  role_definition_id VARCHAR,
  bytes_out          BIGINT,
  bytes_in           BIGINT,
  user_agent         VARCHAR,
  tls_version        VARCHAR,
  correlation_id     VARCHAR,
  details            JSON USING COMPRESSION zstd,  -- facts per family: verbose JSON, compresses ~10x
  -- Audit records are highly repetitive JSON: zstd keeps the file several times smaller than the input.
  raw                VARCHAR USING COMPRESSION zstd
);

CREATE TABLE rejects (
  received_at TIMESTAMPTZ NOT NULL,
  source      VARCHAR NOT NULL,
  reason      VARCHAR NOT NULL,
  raw         VARCHAR USING COMPRESSION zstd
);

CREATE TABLE checkpoints (
  source     VARCHAR NOT NULL,
  partition  VARCHAR NOT NULL,
  position   VARCHAR NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (source, partition)
);

CREATE TABLE alerts (
  alert_id         VARCHAR PRIMARY KEY,
  detector_id      VARCHAR NOT NULL,
  title            VARCHAR NOT NULL,
  severity         VARCHAR NOT NULL,
  tactics          VARCHAR[] NOT NULL,
  techniques       VARCHAR[] NOT NULL,
  time_generated   TIMESTAMPTZ NOT NULL,
  first_event_time TIMESTAMPTZ NOT NULL,
  last_event_time  TIMESTAMPTZ NOT NULL,
  principal_id     VARCHAR,
  principal_name   VARCHAR,
  app_id           VARCHAR,
  caller_ip        VARCHAR,
  resource_id      VARCHAR,
  event_count      BIGINT NOT NULL,
  evidence         JSON NOT NULL,
  description      VARCHAR NOT NULL,
  remediation      VARCHAR NOT NULL
);

-- Detector state, saved with the batch it reflects, so a restart resumes detection exactly.
CREATE TABLE detector_state (
  name        VARCHAR PRIMARY KEY,
  state       VARCHAR NOT NULL,
  ingested_at TIMESTAMPTZ NOT NULL
);
