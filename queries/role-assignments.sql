-- name: role-assignments
-- description: Azure RBAC role assignments made in a period: grantor, grantee, role name, scope and result, one row per completed write.
-- params: since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z
--
-- The Activity log records a write twice (Start, then Success/Failure) under one correlation id;
-- only the completed record is kept, one per correlation id. The operation's casing differs
-- between the Event Hubs and REST shapes, hence lower(). The role name comes from the
-- normalizer (role_name), else from the built-in role GUIDs below (the same in every
-- tenant; kept in step with src/schema/roles.ts), else the GUID itself (a custom role).
WITH builtin_roles(guid, name) AS (
  VALUES
    ('8e3af657-a8ff-443c-a75c-2fe8c4bcb635', 'Owner'),
    ('b24988ac-6180-42a0-ab88-20f7382dd24c', 'Contributor'),
    ('18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', 'User Access Administrator'),
    ('f58310d9-a9f6-439a-9e8d-f62e7b41a168', 'Role Based Access Control Administrator'),
    ('acdd72a7-3385-48ef-bd42-f606fba81ae7', 'Reader'),
    ('00482a5a-887f-4fb3-b363-3b7fe8e74483', 'Key Vault Administrator'),
    ('b86a8fe4-44ce-4948-aee5-eccb2c155cd7', 'Key Vault Secrets Officer'),
    ('4633458b-17de-408a-b874-0445c86b69e6', 'Key Vault Secrets User'),
    ('8b54135c-b56d-4d72-a534-26097cfdc8d8', 'Key Vault Data Access Administrator'),
    ('b7e6dc6d-f1e8-4753-8033-0f276bb0955b', 'Storage Blob Data Owner'),
    ('ba92f5b4-2d11-453d-a403-e96b0029c9fe', 'Storage Blob Data Contributor'),
    ('2a2b9908-6ea1-4ae2-8e65-a410df84e7d1', 'Storage Blob Data Reader'),
    ('17d1049b-9a84-46fb-8f53-869881c3d3ab', 'Storage Account Contributor'),
    ('f6c7c914-8db3-469d-8ca1-694a8f32e121', 'AzureML Data Scientist'),
    ('e503ece1-11d0-4e8e-8e2c-7a6c3bf38815', 'AzureML Compute Operator')
),
-- Read only in the Activity log's categories: each one the normalizer gives it, in both shapes,
-- and `activity` for a record that names none (src/schema/activity.ts; test/queries.test.ts
-- holds the list to it). A test on category rules out the other categories' row groups, and
-- their files in an export (over Parquet 1.0–1.4 -> 0.7 s).
completed AS (
  SELECT *
  FROM events_between($since, $until)
  WHERE category IN ('Administrative', 'Policy', 'Security', 'ServiceHealth', 'Alert', 'Recommendation', 'Autoscale', 'ResourceHealth', 'Write', 'Delete', 'Action', 'activity')
    AND lower(operation) = 'microsoft.authorization/roleassignments/write'
    AND result <> 'start'
  QUALIFY row_number() OVER (PARTITION BY coalesce(correlation_id, event_id) ORDER BY time DESC, event_id) = 1
),
-- The grantee is logged as an object id only: it is named as Entra ID's sign-in and audit logs
-- name it, latest name first (as secret-readers does). Only the grantees are looked up, and only
-- in those categories, whose row groups and export files are few and small: a pass naming
-- every principal in every category was half of this query's time (over Parquet, cold,
-- 0.70-0.77 -> 0.47-0.50 s; the same answer on the bench's 10M events).
known_names AS (
  SELECT principal_id, arg_max(principal_name, time) AS principal_name
  FROM events
  WHERE category IN ('SignInLogs', 'NonInteractiveUserSignInLogs', 'ServicePrincipalSignInLogs', 'ManagedIdentitySignInLogs', 'AuditLogs')
    AND principal_id IN (SELECT target FROM completed) AND principal_name IS NOT NULL
  GROUP BY principal_id
)
SELECT
  a.time,
  a.principal_id                                          AS grantor_id,
  a.principal_name                                        AS grantor_name,
  a.caller_ip                                             AS grantor_ip,
  a.target                                                AS grantee_id,
  n.principal_name                                        AS grantee_name,
  a.grantee_type,
  coalesce(a.role_name, r.name, a.role_definition_id)     AS role_name,
  a.role_definition_id,
  coalesce(a.scope, regexp_replace(a.resource_id, '/providers/microsoft\.authorization/roleassignments/[^/]+$', '')) AS scope,
  a.scope_type,
  a.self_assignment,
  a.result,
  a.status_code,
  a.correlation_id
FROM completed a
LEFT JOIN builtin_roles r ON r.guid = a.role_definition_id
LEFT JOIN known_names n ON n.principal_id = a.target
ORDER BY a.time, a.event_id
