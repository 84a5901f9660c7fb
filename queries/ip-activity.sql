-- name: ip-activity
-- description: Every operation that came from one source IP address (IPv4 or IPv6, no port), whoever the caller.
-- params: ip, since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z
SELECT
  time,
  category,
  operation,
  result,
  principal_id,
  principal_name,
  principal_type,
  auth_type,
  resource_type,
  resource_name,
  target,
  bytes_out,
  user_agent,
  event_id
FROM events_between($since, $until)
-- IPv6 text may arrive in either case; callers are stored without the port.
WHERE lower(caller_ip) = lower($ip)
ORDER BY time, event_id
