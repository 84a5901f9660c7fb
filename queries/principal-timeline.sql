-- name: principal-timeline
-- description: One principal's timeline across Key Vault, Storage, RBAC/Activity, Entra and sign-ins, with a one-line summary per event — what they did, and what was done to them (roles granted).
-- params: principal, since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z
--
-- `principal` is an object id or a UPN (case-insensitive). It is widened to every id/name
-- pair seen together in one record, so "bob@..." also finds the role assignment that names
-- bob only by object id. A Start record whose operation completed within the timeline (same
-- correlation id and operation) is left out: the completed record says the same thing with
-- the outcome.
--
-- Written for speed on large stores: the rows are found by exact matches on the columns as
-- stored (DuckDB then filters inside the scan and reads the other columns of matching rows
-- only), in branches that exclude each other, rather than by one OR over lower() of each.

-- Every (id, name) pair as stored, once: the identity and its spellings come from these few
-- thousand rows rather than from two more passes over every event.
WITH pairs AS MATERIALIZED (
  SELECT DISTINCT principal_id, principal_name FROM events
),
identity AS MATERIALIZED (
  SELECT list(DISTINCT v) AS keys
  FROM (
    SELECT unnest([lower(principal_id), lower(principal_name)]) AS v
    FROM pairs
    WHERE lower(principal_id) = lower($principal) OR lower(principal_name) = lower($principal)
    UNION ALL SELECT lower($principal)
  )
  WHERE v IS NOT NULL
),
-- Every way the identity is spelled in the columns matched below, as stored: an exact match
-- on a column is filtered inside the scan, and only matching rows' other columns are read.
spelled AS MATERIALIZED (
  SELECT
    p.principal_id, p.principal_name,
    coalesce(list_contains(i.keys, lower(p.principal_id)), false)   AS id_is_theirs,
    coalesce(list_contains(i.keys, lower(p.principal_name)), false) AS name_is_theirs
  FROM pairs p, identity i
  WHERE list_contains(i.keys, lower(p.principal_id)) OR list_contains(i.keys, lower(p.principal_name))
),
-- Each set comes as a list unnested, which DuckDB expects to be small: it then builds the joins
-- below on these few values. Given the window's events as a table of their own, it otherwise
-- built them on those events (over Parquet, a week: 2.3 -> 5.7 s).
ids   AS MATERIALIZED (SELECT unnest(list(DISTINCT principal_id)) AS id FROM spelled WHERE id_is_theirs),
names AS MATERIALIZED (SELECT unnest(list(DISTINCT principal_name)) AS name FROM spelled WHERE name_is_theirs),
-- ids that are not theirs, seen with a name that is
other_ids AS MATERIALIZED (SELECT unnest(list(DISTINCT principal_id)) AS id FROM spelled WHERE NOT id_is_theirs AND principal_id IS NOT NULL),
-- done to them: an Entra change's target, or a role assignment's grantee (a branch for each, so
-- each test on category or operation is made inside the scan, and only the rows it keeps have
-- their target read). Role assignments are looked for in the Activity log's categories only
-- (each one the normalizer gives it, in both shapes, and `activity` for a record that names
-- none: src/schema/activity.ts; test/queries.test.ts holds the lists to it), which rules out
-- the other categories' row groups, and their files in an export.
targets AS MATERIALIZED (
  SELECT DISTINCT target
  FROM (
    SELECT e.target FROM events_between($since, $until) e WHERE e.category = 'AuditLogs'
    UNION ALL
    SELECT e.target FROM events_between($since, $until) e
    WHERE e.category IN ('Administrative', 'Policy', 'Security', 'ServiceHealth', 'Alert', 'Recommendation', 'Autoscale', 'ResourceHealth', 'Write', 'Delete', 'Action', 'activity')
      AND e.operation ILIKE 'microsoft.authorization/roleassignments/%'
  ) e, identity i
  WHERE list_contains(i.keys, lower(e.target))
),
rows_of AS (
  -- what they did: by their id, or by their name with no id or another's
  SELECT e.*, 'actor' AS role FROM events_between($since, $until) e WHERE e.principal_id IN (SELECT id FROM ids)
  UNION ALL
  SELECT e.*, 'actor' FROM events_between($since, $until) e WHERE e.principal_id IS NULL AND e.principal_name IN (SELECT name FROM names)
  UNION ALL
  SELECT e.*, 'actor' FROM events_between($since, $until) e WHERE e.principal_id IN (SELECT id FROM other_ids) AND e.principal_name IN (SELECT name FROM names)
  UNION ALL
  SELECT e.*, 'subject' FROM events_between($since, $until) e
  WHERE e.target IN (SELECT target FROM targets)
    AND e.category IN ('AuditLogs', 'Administrative', 'Policy', 'Security', 'ServiceHealth', 'Alert', 'Recommendation', 'Autoscale', 'ResourceHealth', 'Write', 'Delete', 'Action', 'activity')
    AND (e.category = 'AuditLogs' OR e.operation ILIKE 'microsoft.authorization/roleassignments/%')
    AND (e.principal_id IS NULL OR e.principal_id NOT IN (SELECT id FROM ids))
    AND (e.principal_name IS NULL OR e.principal_name NOT IN (SELECT name FROM names))
),
involved AS MATERIALIZED (
  SELECT
    time, category, operation, result, caller_ip, principal_id, principal_name, target, resource_type,
    resource_name, resource_id, bytes_out, auth_type, role_name, role_definition_id, scope,
    resource_display_name, mfa, correlation_id, event_id, role,
    CASE
      WHEN category = 'AuditEvent'                                   THEN 'keyvault'
      WHEN category IN ('StorageRead', 'StorageWrite', 'StorageDelete') THEN 'storage'
      WHEN lower(operation) LIKE 'microsoft.authorization/%'        THEN 'rbac'
      WHEN category = 'AuditLogs'                                    THEN 'entra'
      WHEN category LIKE '%SignInLogs'                               THEN 'signin'
      WHEN resource_type = 'microsoft.machinelearningservices/workspaces' THEN 'aml'
      ELSE 'activity'
    END AS family
  FROM rows_of
),
completed AS (
  SELECT DISTINCT correlation_id, lower(operation) AS operation FROM involved WHERE result <> 'start'
)
SELECT
  time,
  family,
  role,
  operation,
  result,
  caller_ip,
  CASE family
    WHEN 'keyvault' THEN concat_ws(' ', operation, target, 'in vault', resource_name)
    WHEN 'storage'  THEN concat_ws(' ', operation, target, '(' || coalesce(bytes_out || ' bytes out, ', '') || coalesce(auth_type, '?') || ')')
    WHEN 'rbac' THEN
      CASE
        WHEN lower(operation) LIKE '%/roleassignments/write'
          THEN concat_ws(' ', coalesce(principal_name, principal_id), 'granted', coalesce(role_name, role_definition_id),
                         'to', target, 'at', scope)
        WHEN lower(operation) LIKE '%/roledefinitions/write'
          THEN concat_ws(' ', 'wrote role definition', role_name)
        ELSE concat_ws(' ', operation, resource_name)
      END
    WHEN 'entra'  THEN concat_ws(' ', coalesce(principal_name, principal_id), ':', operation, role_name, 'for', target)
    WHEN 'signin' THEN concat_ws(' ', 'sign-in to', coalesce(target, resource_display_name),
                                 'mfa=' || coalesce(mfa::VARCHAR, '?'), 'from', caller_ip)
    ELSE concat_ws(' ', operation, target, 'on', resource_name)
  END || ' → ' || result AS summary,
  resource_id,
  event_id
FROM involved
WHERE NOT (result = 'start' AND (correlation_id, lower(operation)) IN (SELECT (correlation_id, operation) FROM completed))
ORDER BY time, event_id
