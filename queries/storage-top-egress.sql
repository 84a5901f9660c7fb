-- name: storage-top-egress
-- description: Top egress callers per storage account: bytes sent out, requests and distinct blobs/files, ranked within each account.
-- params: top=10, since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z
--
-- Egress is `bytes_out` (the response body size Storage logs). Key, SAS and anonymous requests
-- carry no principal, so those callers are told apart by auth type and source IP.
WITH storage AS (
  SELECT
    coalesce(account_name, resource_name) AS account,
    coalesce(principal_name, principal_id,
             '(' || coalesce(auth_type, 'unknown') || ' from ' || coalesce(caller_ip, 'unknown IP') || ')') AS caller,
    *
  FROM events_between($since, $until)
  WHERE category IN ('StorageRead', 'StorageWrite', 'StorageDelete')
),
per_caller AS (
  SELECT
    account,
    caller,
    any_value(principal_id)                      AS principal_id,
    string_agg(DISTINCT auth_type, ', ' ORDER BY auth_type) AS auth_types,
    coalesce(sum(bytes_out), 0)                  AS bytes_out,
    count(*)                                     AS requests,
    count(DISTINCT target)                       AS distinct_objects,
    count(DISTINCT caller_ip)                    AS distinct_ips,
    min(time)                                    AS first_seen,
    max(time)                                    AS last_seen
  FROM storage
  GROUP BY account, caller
)
SELECT
  account,
  row_number() OVER (PARTITION BY account ORDER BY bytes_out DESC, requests DESC, caller) AS rank,
  caller,
  principal_id,
  auth_types,
  bytes_out,
  round(bytes_out / 1073741824.0, 3)            AS gib_out,
  requests,
  distinct_objects,
  distinct_ips,
  first_seen,
  last_seen
FROM per_caller
QUALIFY rank <= $top::INTEGER
ORDER BY account, rank
