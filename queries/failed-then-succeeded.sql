-- name: failed-then-succeeded
-- description: Principals whose failed attempts on a resource were followed by a success on the same resource within a window (guessing, permission probing, or access just granted).
-- params: window_minutes=60, since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z
--
-- "Same resource" is the same resource_id (a vault, a storage service, a workspace, the tenant
-- for sign-ins), not necessarily the same secret or blob. Each failure is paired with the
-- first success at or after it (ASOF JOIN); failures that lead to the same success are
-- folded into one row. Of successes at the same instant, the one with the lowest event_id is
-- shown, so the answer is the same however the rows were stored.
-- `attempts` is inlined into each use, so each scan keeps only its own result's rows (DuckDB
-- would otherwise materialize it, every attempt, as it is read twice), and it names the columns
-- used: `*` would carry every column, details and raw included.
WITH attempts AS NOT MATERIALIZED (
  SELECT
    -- one key per principal: the object id, else the name when a record has no id
    coalesce(principal_id, lower(principal_name)) AS who,
    principal_id, resource_id, time, result, operation, target, principal_name, caller_ip, event_id
  FROM events_between($since, $until)
  WHERE coalesce(principal_id, principal_name) IS NOT NULL
    AND resource_id IS NOT NULL
    AND result IN ('failure', 'success')
),
failures  AS (SELECT * FROM attempts WHERE result = 'failure'),
-- Only successes a failure can pair with (same principal and resource): the ASOF join sorts
-- its right side, and most successes belong to principals that never failed there.
-- Split on whether the success has an id, whose key is then the id itself: `principal_id IN`
-- the failures' keys is a test on one column, which DuckDB makes inside the scan and which
-- rules out the row groups of other principals (a compacted file keeps a principal's events
-- together): over 10M events cold 1.9 -> 1.1 s, warm 0.52 -> 0.22 s; over Parquet, whose files
-- mix principals, it costs a pass more (2.4 -> 3.2 s). Ids and keys match exactly as before.
-- Only the columns the pairing needs are read here, not even event_id (32 hex digits a row): a
-- busy principal that failed once brings millions of successes into the scan before the pair
-- test. The paired successes' other columns are looked up afterwards by principal, resource and
-- time, the few times paired letting DuckDB skip the rest by their time ranges (10M events,
-- cold: 0.35 -> 0.22 s; over Parquet 1.9 -> 1.5 s).
successes AS (
  SELECT who, resource_id, time FROM attempts
  WHERE result = 'success' AND principal_id IN (SELECT who FROM failures)
    AND (who, resource_id) IN (SELECT (who, resource_id) FROM failures)
  UNION ALL
  SELECT who, resource_id, time FROM attempts
  WHERE result = 'success' AND principal_id IS NULL
    AND (who, resource_id) IN (SELECT (who, resource_id) FROM failures)
),
paired AS MATERIALIZED (
  SELECT
    f.who, f.resource_id, f.time AS failed_at, f.operation AS failed_operation, f.target AS failed_target,
    f.principal_name AS failed_name, f.caller_ip AS failed_ip,
    s.time AS succeeded_at
  FROM failures f
  ASOF JOIN successes s
    ON s.who = f.who AND s.resource_id = f.resource_id AND s.time >= f.time
  WHERE s.time <= f.time + to_minutes($window_minutes::INTEGER)
),
success_rows AS (
  SELECT who, resource_id, time AS succeeded_at, event_id AS success_event_id, operation AS success_operation,
         target AS success_target, principal_name AS success_name, caller_ip AS success_ip
  FROM attempts
  WHERE result = 'success' AND time IN (SELECT succeeded_at FROM paired)
    AND (who, resource_id, time) IN (SELECT (who, resource_id, succeeded_at) FROM paired)
  QUALIFY row_number() OVER (PARTITION BY who, resource_id, time ORDER BY event_id) = 1
)
SELECT
  who                                                         AS principal,
  coalesce(any_value(success_name), any_value(failed_name))   AS principal_name,
  resource_id,
  count(*)                                                    AS failures,
  min(failed_at)                                              AS first_failure,
  string_agg(DISTINCT failed_operation, ', ' ORDER BY failed_operation) AS failed_operations,
  string_agg(DISTINCT failed_ip, ', ' ORDER BY failed_ip)     AS failed_from,
  succeeded_at,
  success_operation,
  success_target,
  success_ip,
  date_diff('second', min(failed_at), succeeded_at)    AS seconds_to_success
FROM paired JOIN success_rows USING (who, resource_id, succeeded_at)
GROUP BY who, resource_id, success_event_id, succeeded_at, success_operation, success_target, success_ip
ORDER BY first_failure, principal, resource_id
