-- name: principal-activity
-- description: Everything one principal did in a time range, matched by Entra object id or UPN/display name (case-insensitive).
-- params: principal, since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z
--
-- Some records carry only the object id, others only the UPN (e.g. Azure ML run events name
-- the user but not the id), so the principal matches either column. Each column is matched in
-- a branch of its own: DuckDB pushes a one-column filter into the scan and reads the other
-- columns only where it matched, while an OR of two columns makes it read every column of
-- every row first (over 10M events, with the file cached: 1.1–1.5 s → 0.9 s).
WITH by_id AS (
  SELECT time, category, operation, result, principal_id, principal_name, principal_type, auth_type, caller_ip,
         resource_type, resource_name, target, bytes_out, correlation_id, event_id
  FROM events_between($since, $until)
  WHERE lower(principal_id) = lower($principal)
),
by_name_only AS (
  SELECT time, category, operation, result, principal_id, principal_name, principal_type, auth_type, caller_ip,
         resource_type, resource_name, target, bytes_out, correlation_id, event_id
  FROM events_between($since, $until)
  WHERE lower(principal_name) = lower($principal)
    AND lower(principal_id) IS DISTINCT FROM lower($principal)
)
SELECT * FROM by_id
UNION ALL
SELECT * FROM by_name_only
ORDER BY time, event_id
