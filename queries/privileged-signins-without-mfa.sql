-- name: privileged-signins-without-mfa
-- description: Successful user sign-ins without MFA by principals that hold or were granted a privileged role (Azure RBAC Owner/User Access Administrator/RBAC Administrator/Key Vault admin roles, or any Entra directory role).
-- params: since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z, interactive_only=false
--
-- "Privileged" is what the database can see: a completed RBAC assignment of a privileged role
-- to the principal, an Entra directory-role add for them, or the principal acting with such a
-- role (Activity log's caller_role). Grants made before the data begins are invisible, so
-- `granted_before_signin` says whether the evidence predates the sign-in. Non-interactive
-- sign-ins (token refreshes) are included unless interactive_only=true.
WITH privileged_roles(guid, name) AS (
  VALUES
    ('8e3af657-a8ff-443c-a75c-2fe8c4bcb635', 'Owner'),
    ('18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', 'User Access Administrator'),
    ('f58310d9-a9f6-439a-9e8d-f62e7b41a168', 'Role Based Access Control Administrator'),
    ('00482a5a-887f-4fb3-b363-3b7fe8e74483', 'Key Vault Administrator'),
    ('8b54135c-b56d-4d72-a534-26097cfdc8d8', 'Key Vault Data Access Administrator')
),
evidence AS (
  -- RBAC: the grantee (target) of a completed privileged role assignment. This branch and the
  -- last read only the Activity log's categories: each one the normalizer gives it, in both
  -- shapes, and `activity` for a record that names none (src/schema/activity.ts;
  -- test/queries.test.ts holds the lists to it). A test on category rules out the other
  -- categories' row groups, and their files in an export (over Parquet 0.57–0.76 -> 0.41 s).
  SELECT lower(e.target) AS who, e.time, 'RBAC ' || p.name AS privilege
  FROM events e JOIN privileged_roles p ON p.guid = e.role_definition_id
  WHERE e.category IN ('Administrative', 'Policy', 'Security', 'ServiceHealth', 'Alert', 'Recommendation', 'Autoscale', 'ResourceHealth', 'Write', 'Delete', 'Action', 'activity')
    AND lower(e.operation) = 'microsoft.authorization/roleassignments/write' AND e.result = 'success'
  UNION ALL
  -- Entra: the member added to a directory role (target is the UPN, target_id the id).
  -- unnest() in the select list, after the filter: a lateral unnest over events is planned as
  -- a join that carries every event, details included, before the filter applies.
  SELECT lower(who), time, privilege
  FROM (
    SELECT unnest([target, target_id]) AS who, time, 'Entra ' || coalesce(role_name, role_definition_id) AS privilege
    FROM events
    WHERE category = 'AuditLogs' AND result = 'success' AND operation ILIKE 'add%member to role%'
  )
  WHERE who IS NOT NULL
  UNION ALL
  -- Acting with a privileged role (the normalizer records the caller's role for Activity records).
  SELECT lower(who), time, privilege
  FROM (
    SELECT unnest([principal_id, principal_name]) AS who, time, 'acted as ' || caller_role AS privilege
    FROM events
    WHERE category IN ('Administrative', 'Policy', 'Security', 'ServiceHealth', 'Alert', 'Recommendation', 'Autoscale', 'ResourceHealth', 'Write', 'Delete', 'Action', 'activity')
      AND caller_role IN (SELECT name FROM privileged_roles)
  )
  WHERE who IS NOT NULL
),
signins AS (
  SELECT *
  FROM events_between($since, $until)
  WHERE category IN ('SignInLogs', 'NonInteractiveUserSignInLogs')
    AND principal_type = 'user'
    AND result = 'success'
    AND NOT coalesce(mfa, false)
    AND (NOT $interactive_only::BOOLEAN OR coalesce(is_interactive, category = 'SignInLogs'))
)
SELECT
  s.time,
  s.principal_id,
  s.principal_name,
  s.category,
  s.caller_ip,
  s.target                                        AS resource_display_name,
  s.app_display_name                              AS app,
  s.auth_requirement,
  s.auth_methods,
  s.ca_status                                     AS conditional_access,
  s.is_interactive                                AS interactive,
  s.country,
  p.privileges,
  p.privileged_since,
  p.privileged_since <= s.time                    AS granted_before_signin,
  s.event_id
FROM signins s,
  -- all privilege evidence for this sign-in's principal, matched by object id or UPN
  LATERAL (
    SELECT string_agg(DISTINCT v.privilege, ', ' ORDER BY v.privilege) AS privileges, min(v.time) AS privileged_since
    FROM evidence v
    WHERE v.who = lower(s.principal_id) OR v.who = lower(s.principal_name)
  ) p
WHERE p.privileges IS NOT NULL
ORDER BY s.time, s.event_id
