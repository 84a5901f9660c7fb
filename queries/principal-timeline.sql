-- name: principal-timeline
-- description: One principal's timeline across Key Vault, Storage, RBAC/Activity, Entra and sign-ins, with a one-line summary per event — what they did, and what was done to them (roles granted).
-- params: principal, since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z
--
-- `principal` is an object id or a UPN (case-insensitive). It is widened to every id/name
-- pair seen together in one record, so "bob@..." also finds the role assignment that names
-- bob only by object id. A Start record whose operation later completed (same correlation id)
-- is left out: the completed record says the same thing with the outcome.
WITH identity AS (
  SELECT DISTINCT lower(x) AS v
  FROM (
    SELECT unnest([principal_id, principal_name]) AS x
    FROM events
    WHERE lower(principal_id) = lower($principal) OR lower(principal_name) = lower($principal)
    UNION ALL SELECT $principal
  )
  WHERE x IS NOT NULL
),
involved AS (
  SELECT
    e.*,
    CASE WHEN lower(e.principal_id) IN (SELECT v FROM identity) OR lower(e.principal_name) IN (SELECT v FROM identity)
         THEN 'actor' ELSE 'subject' END AS role,
    CASE
      WHEN e.category = 'AuditEvent'                                   THEN 'keyvault'
      WHEN e.category IN ('StorageRead', 'StorageWrite', 'StorageDelete') THEN 'storage'
      WHEN lower(e.operation) LIKE 'microsoft.authorization/%'        THEN 'rbac'
      WHEN e.category = 'AuditLogs'                                    THEN 'entra'
      WHEN e.category LIKE '%SignInLogs'                               THEN 'signin'
      WHEN e.resource_type = 'microsoft.machinelearningservices/workspaces' THEN 'aml'
      ELSE 'activity'
    END AS family
  FROM events e
  WHERE (lower(e.principal_id) IN (SELECT v FROM identity)
      OR lower(e.principal_name) IN (SELECT v FROM identity)
      -- done to them: a role assignment's grantee or an Entra change's target
      OR (lower(e.target) IN (SELECT v FROM identity)
          AND (lower(e.operation) LIKE 'microsoft.authorization/roleassignments/%' OR e.category = 'AuditLogs')))
    AND e.time >= $since::TIMESTAMPTZ
    AND e.time <  $until::TIMESTAMPTZ
    AND NOT (e.result = 'start' AND EXISTS (
      SELECT 1 FROM events c
      WHERE c.correlation_id = e.correlation_id AND lower(c.operation) = lower(e.operation) AND c.result <> 'start'))
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
ORDER BY time, event_id
