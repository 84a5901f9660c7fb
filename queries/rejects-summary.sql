-- name: rejects-summary
-- description: Rejected input grouped by source and reason, with counts, first/last time and one example — what the pipeline could not store.
-- params: since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z
--
-- Reasons carry the line number ("line 12: invalid JSON ... at line 1"); those are replaced
-- by N so the same problem on different lines is counted once.
WITH r AS (
  SELECT
    source,
    regexp_replace(regexp_replace(reason, '^line [0-9]+: ', ''), 'line [0-9]+', 'line N', 'g') AS reason_kind,
    received_at,
    reason,
    raw
  FROM rejects
  WHERE received_at >= $since::TIMESTAMPTZ
    AND received_at <  $until::TIMESTAMPTZ
)
SELECT
  reason_kind,
  source,
  count(*)                                  AS rejects,
  min(received_at)                          AS first_received,
  max(received_at)                          AS last_received,
  arg_min(reason, (received_at, reason))    AS example_reason,
  left(arg_min(raw, (received_at, reason)), 200) AS example_raw
FROM r
GROUP BY reason_kind, source
ORDER BY rejects DESC, reason_kind, source
