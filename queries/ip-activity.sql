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
-- IPv6 text may arrive in either case. Callers are stored without the port, and the address
-- given is read as they are (src/schema/fields.ts stripPort): a port, brackets and spaces around
-- it are dropped, so `203.0.113.7:51234` or `[2001:db8::1]:443` pasted from a firewall log finds
-- the same rows as the bare address, rather than none.
WHERE lower(caller_ip) = lower(CASE
  WHEN regexp_matches(trim($ip), '^\[[^\]]+\](:[0-9]+)?$') THEN regexp_extract(trim($ip), '^\[([^\]]+)\]', 1)
  WHEN length(trim($ip)) - length(replace(trim($ip), ':', '')) = 1 THEN split_part(trim($ip), ':', 1)
  ELSE trim($ip)
END)
ORDER BY time, event_id
