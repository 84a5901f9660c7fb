-- A refused input that arrives again (a file replayed twice, a message redelivered after a
-- crash) is one row, as a record is one event. reject_id is the first 128 bits of the SHA-256
-- of its source, reason and text (Store.appendRejects computes the same); reasons name the line
-- or offset, so two bad lines of one file stay two. Rebuilt rather than altered: DuckDB cannot
-- index a column updated in the same transaction. Earlier copies collapse into the first.
-- Nullable, so a script inserting the four contract columns still can (NULLs never collide).
CREATE TABLE rejects_once (
  received_at TIMESTAMPTZ NOT NULL,
  source      VARCHAR NOT NULL,
  reason      VARCHAR NOT NULL,
  raw         VARCHAR USING COMPRESSION zstd,
  reject_id   VARCHAR UNIQUE
);
INSERT INTO rejects_once
  SELECT received_at, source, reason, raw, id FROM (
    SELECT *, left(sha256(source || chr(1) || reason || chr(1) || coalesce(raw, '')), 32) AS id FROM rejects)
  QUALIFY row_number() OVER (PARTITION BY id ORDER BY received_at) = 1;
DROP TABLE rejects;
ALTER TABLE rejects_once RENAME TO rejects;
