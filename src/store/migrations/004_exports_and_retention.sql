-- What was exported where, and what retention deleted: retention deletes only what an export
-- holds (when export is configured), and these rows are how it knows. Kept forever: they are
-- small, and "when did we delete what" is a question auditors ask.

CREATE TABLE exports (
  destination         VARCHAR NOT NULL,      -- the folder or az://account/container/prefix
  since               TIMESTAMPTZ NOT NULL,  -- event-time range exported, [since, until)
  until               TIMESTAMPTZ NOT NULL,
  through_ingested_at TIMESTAMPTZ,           -- rows of the range committed up to here are in it (NULL: none were)
  rows                BIGINT NOT NULL,
  exported_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE retention_runs (
  horizon          TIMESTAMPTZ NOT NULL,  -- events before it were eligible
  deleted          BIGINT NOT NULL,
  kept_unexported  BIGINT NOT NULL,       -- eligible, but no export holds them yet
  ran_at           TIMESTAMPTZ NOT NULL
);
