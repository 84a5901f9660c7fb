-- Alerts a `detectors.exceptions` entry suppresses: kept, with the exception's reason, apart
-- from `alerts`, so that no sink, list or console view reading `alerts` takes them for raised
-- ones, while `auditlake alerts --suppressed` (or SQL) still shows what was quieted and why.
-- The columns of `alerts`, then the reason.
CREATE TABLE suppressed_alerts (
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
  remediation      VARCHAR NOT NULL,
  suppressed_by    VARCHAR NOT NULL
);
