-- The outbox's delivery state, one row per alert and sink (issue 5). An alert is pending for a
-- sink while it has no row here, or while its `time_generated` (bumped when suppression
-- updates it) is newer than the version last delivered: updates are re-delivered under the
-- same alert_id.
CREATE TABLE alert_deliveries (
  alert_id          VARCHAR NOT NULL,
  sink              VARCHAR NOT NULL,
  -- 'delivered', 'skipped' (the sink's filter does not want it), 'retrying', or 'redeliver' (asked for again)
  state             VARCHAR NOT NULL,
  delivered_version TIMESTAMPTZ,
  attempts          INTEGER NOT NULL,
  last_error        VARCHAR,
  next_attempt_at   TIMESTAMPTZ,
  updated_at        TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (alert_id, sink)
);
