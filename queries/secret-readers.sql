-- name: secret-readers
-- description: Who read a given Key Vault secret, key or certificate: per principal and source IP, how often, first and last time, and how many reads failed.
-- params: secret, vault=*, since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z
--
-- `secret` is the object name as Key Vault logs it (the `target` column); Key Vault names are
-- case-insensitive, so is the match. `vault` narrows to one vault by name; `*` means any vault.
-- A "read" is anything that returns or exports the material: Get and Backup, plus the key
-- operations that use a key without exporting it (decrypt, unwrap, sign), which show who
-- depends on it.
WITH reads AS (
  SELECT
    resource_name                                     AS vault,
    target                                            AS object_name,
    principal_id,
    any_value(principal_name) FILTER (WHERE principal_name IS NOT NULL) AS principal_name,
    any_value(principal_type)                         AS principal_type,
    caller_ip,
    count(*)                                          AS reads,
    count(*) FILTER (WHERE result = 'success')        AS succeeded,
    count(*) FILTER (WHERE result = 'failure')        AS failed,
    string_agg(DISTINCT operation, ', ' ORDER BY operation) AS operations,
    min(time)                                         AS first_read,
    max(time)                                         AS last_read
  FROM events_between($since, $until)
  WHERE category = 'AuditEvent'
    AND lower(target) = lower($secret)
    AND ($vault = '*' OR lower(resource_name) = lower($vault))
    AND operation IN ('SecretGet', 'SecretBackup', 'KeyGet', 'KeyBackup', 'CertificateGet', 'CertificateBackup',
                      'KeyDecrypt', 'KeyUnwrap', 'KeySign')
  -- principal_name is not grouped: the same object id sometimes arrives with and without a UPN.
  GROUP BY resource_name, target, principal_id, caller_ip
),
-- Key Vault logs many callers by object id alone (a service principal's or a managed identity's
-- `oid`): such a caller is named as Entra ID's sign-in and audit logs name it, latest name first.
-- Only those categories are read for it, whose files are few and small: over an export, a pass
-- over every category's files cost ~0.3 s (vault-first-seen-callers does the same).
named AS (
  SELECT principal_id, arg_max(principal_name, time) AS principal_name
  FROM events
  WHERE category IN ('SignInLogs', 'NonInteractiveUserSignInLogs', 'ServicePrincipalSignInLogs', 'ManagedIdentitySignInLogs', 'AuditLogs')
    AND principal_id IN (SELECT principal_id FROM reads WHERE principal_name IS NULL)
    AND principal_name IS NOT NULL
  GROUP BY principal_id
)
SELECT r.* REPLACE (coalesce(r.principal_name, n.principal_name) AS principal_name)
FROM reads r LEFT JOIN named n ON n.principal_id = r.principal_id
ORDER BY first_read, r.principal_id NULLS LAST, caller_ip NULLS LAST
