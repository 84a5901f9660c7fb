-- name: vault-first-seen-callers
-- description: Every principal that touched a Key Vault (data or management plane), when it first did, and whether that first time falls within the last N days.
-- params: vault, days=7, as_of=latest
--
-- `vault` is the vault name or its full (lower-case) resource id. "The last N days" ends at
-- `as_of`: a timestamp, or `latest` (anything that is not a timestamp) for the vault's newest
-- event in the database — so replayed history is judged against its own end, not today.
-- Callers are keyed by object id, or by name when a record has no id; records with neither
-- (e.g. Event Grid notifications) are not callers.
-- A vault's events are Key Vault's own (AuditEvent, the data plane) and the Activity log's (the
-- management plane: each category the normalizer gives it, in both shapes, and `activity` for a
-- record that names none; test/queries.test.ts holds the list to src/schema/activity.ts). The
-- test on category rules out the other categories' row groups, and their files in an export:
-- over Parquet it pays for naming the callers below (cold, 0.89-1.13 -> 0.62-0.78 s).
-- One pass over the vault's events: they are grouped by caller as they are scanned (materialized,
-- a busy vault's 1.5M events were first copied: over 10M events, cold 1.1 -> 0.56 s), and the
-- reference is the newest of the groups, records with no caller included. Before, the events
-- were scanned twice, once for the reference: over Parquet, fresh process, 0.88 -> 0.68 s.
WITH vault_events AS (
  SELECT *, coalesce(principal_id, lower(principal_name)) AS caller
  FROM events
  WHERE category IN ('AuditEvent', 'Administrative', 'Policy', 'Security', 'ServiceHealth', 'Alert', 'Recommendation', 'Autoscale', 'ResourceHealth', 'Write', 'Delete', 'Action', 'activity')
    AND resource_type = 'microsoft.keyvault/vaults'
    AND (lower(resource_name) = lower($vault) OR resource_id = lower($vault))
),
by_caller AS MATERIALIZED (
  SELECT
    caller,
    any_value(principal_id)                                  AS principal_id,
    any_value(principal_name) FILTER (WHERE principal_name IS NOT NULL) AS principal_name,
    any_value(principal_type)                                AS principal_type,
    min(time)                                                AS first_seen,
    arg_min(operation, (time, event_id))                     AS first_operation,
    arg_min(caller_ip, (time, event_id))                     AS first_ip,
    max(time)                                                AS last_seen,
    count(*)                                                 AS events,
    count(DISTINCT caller_ip)                                AS distinct_ips
  FROM vault_events
  GROUP BY caller
),
reference AS (
  SELECT coalesce(try_cast($as_of AS TIMESTAMPTZ), max(last_seen)) AS as_of FROM by_caller
),
callers AS (SELECT * FROM by_caller WHERE caller IS NOT NULL),
-- Key Vault logs many callers by object id alone (a service principal's or a managed identity's
-- `oid`): such a caller is named as Entra ID's sign-in and audit logs name it, latest name first
-- (as secret-readers does; only those categories' few, small files are read for it).
named AS (
  SELECT principal_id, arg_max(principal_name, time) AS principal_name
  FROM events
  WHERE category IN ('SignInLogs', 'NonInteractiveUserSignInLogs', 'ServicePrincipalSignInLogs', 'ManagedIdentitySignInLogs', 'AuditLogs')
    AND principal_id IN (SELECT principal_id FROM callers WHERE principal_name IS NULL)
    AND principal_name IS NOT NULL
  GROUP BY principal_id
)
SELECT
  c.principal_id,
  coalesce(c.principal_name, n.principal_name) AS principal_name,
  c.principal_type,
  c.first_seen,
  c.first_operation,
  c.first_ip,
  c.last_seen,
  c.events,
  c.distinct_ips,
  c.first_seen >= r.as_of - to_days($days::INTEGER) AS first_seen_recently,
  r.as_of
FROM callers c CROSS JOIN reference r LEFT JOIN named n ON n.principal_id = c.principal_id
ORDER BY c.first_seen, c.caller
