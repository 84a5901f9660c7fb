-- name: storage-key-and-sas-access
-- description: Storage requests authorized by account key, SAS or anonymously (no Entra identity), by account, auth type and source IP.
-- params: since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z
--
-- These requests carry no principal, so the source IP (null when Storage logs it as
-- <Redacted>) and, for SAS, the permissions and expiry in the token are all there is to go on.
SELECT
  coalesce(account_name, resource_name)                        AS account,
  auth_type,
  caller_ip,
  count(*)                                                     AS requests,
  count(*) FILTER (WHERE result = 'failure')                   AS failed,
  coalesce(sum(bytes_out), 0)                                  AS bytes_out,
  coalesce(sum(bytes_in), 0)                                   AS bytes_in,
  count(DISTINCT target)                                       AS distinct_objects,
  string_agg(DISTINCT operation, ', ' ORDER BY operation)      AS operations,
  string_agg(DISTINCT sas_permissions, ', ')                   AS sas_permissions,
  max(sas_expiry)                                              AS latest_sas_expiry,
  min(time)                                                    AS first_seen,
  max(time)                                                    AS last_seen
FROM events_between($since, $until)
WHERE category IN ('StorageRead', 'StorageWrite', 'StorageDelete')
  AND auth_type IN ('accountkey', 'sas', 'anonymous')
GROUP BY ALL
ORDER BY account, auth_type, caller_ip NULLS LAST
