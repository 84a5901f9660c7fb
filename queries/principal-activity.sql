-- name: principal-activity
-- description: Everything one principal did in a time range, matched by Entra object id or UPN/display name (case-insensitive).
-- params: principal, since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z
--
-- Some records carry only the object id, others only the UPN (e.g. Azure ML run events name
-- the user but not the id), so the principal matches either column.
SELECT
  time,
  category,
  operation,
  result,
  principal_id,
  principal_name,
  principal_type,
  auth_type,
  caller_ip,
  resource_type,
  resource_name,
  target,
  bytes_out,
  correlation_id,
  event_id
FROM events
WHERE (lower(principal_id) = lower($principal) OR lower(principal_name) = lower($principal))
  AND time >= $since::TIMESTAMPTZ
  AND time <  $until::TIMESTAMPTZ
ORDER BY time, event_id
