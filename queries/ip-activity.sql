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
-- The address given is read as ingestion reads a caller (src/schema/fields.ts stripPort): a
-- port, brackets and spaces around it are dropped, so `203.0.113.7:51234` or `[2001:db8::1]:443`
-- pasted from a firewall log finds the same rows as the bare address, rather than none.
-- The exact test comes first: DuckDB checks it against each file's statistics and Bloom filters
-- and skips what cannot hold the address (over the bench's export the address is in 136 of its
-- 1,197 files: 1.0-1.2 -> 0.84-0.90 s). IPv6 text may be stored in either case, so an address
-- with letters is also matched case-insensitively; for one without, that test folds away.
WHERE caller_ip = lower(regexp_replace(trim($ip), '^\[([^\]]+)\](:[0-9]+)?$|^([^:]*):[^:]*$', '\1\3'))
   OR (regexp_matches($ip, '[A-Za-z]')
       AND lower(caller_ip) = lower(regexp_replace(trim($ip), '^\[([^\]]+)\](:[0-9]+)?$|^([^:]*):[^:]*$', '\1\3')))
ORDER BY time, event_id
