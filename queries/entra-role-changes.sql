-- name: entra-role-changes
-- description: Entra ID directory-role changes (members added or removed, PIM role settings), who made them, for whom, and whether through PIM or directly.
-- params: since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z
--
-- A direct add ("Add member to role", logged by Core Directory) bypasses PIM's approval and
-- time limits; PIM logs its own activities ("... in PIM ...", loggedByService = PIM).
-- Permanent vs eligible/time-bound shows in the PIM activity name.
SELECT
  time,
  CASE
    WHEN operation ILIKE '%add%member%to role%'      THEN 'add'
    WHEN operation ILIKE '%remove%member%from role%' THEN 'remove'
    WHEN operation ILIKE '%role setting%'            THEN 'setting'
    ELSE 'other'
  END                                                             AS change,
  CASE WHEN logged_by_service = 'PIM' OR operation ILIKE '%PIM%' THEN 'PIM' ELSE 'direct' END AS via,
  role_name,
  role_definition_id                                              AS role_template_id,
  principal_id                                                    AS actor_id,
  principal_name                                                  AS actor_name,
  caller_ip                                                       AS actor_ip,
  target,
  target_id,
  target_type,
  operation,
  result,
  result_reason                                                   AS reason,
  modified_properties,
  event_id
FROM events_between($since, $until)
WHERE category = 'AuditLogs'
  AND (audit_category = 'RoleManagement' OR operation ILIKE '%role%')
ORDER BY time, event_id
