-- name: governance-changes
-- description: Changes to logging and guard rails — diagnostic settings, policy assignments, public network access, firewall default action, TLS minimum, blob public access, HTTPS-only, soft delete, purge protection, vault access model — with whether each weakens them.
-- params: since=1970-01-01T00:00:00Z, until=2999-01-01T00:00:00Z
--
-- The settings come from the request bodies the normalizer copied into `details`
-- (Activity log writes and Key Vault VaultPut/VaultPatch). A Start record whose operation
-- later completed is left out; a Start with no completion is kept (its result says so).
-- (details->>'k') is parenthesised before comparing: DuckDB binds ->> more loosely than
-- OR, so `details->>'k' = 'x' OR ...` would parse as details->>('k' = ('x' OR ...)).
--
-- Over a large store, reading and parsing `details` is most of the cost: the rows are first
-- narrowed to those whose details text names a setting this query reports (or that are
-- diagnostic-setting or policy operations) — every row the final WHERE keeps is among them —
-- and only those few are checked for a completion (DuckDB evaluates a correlated EXISTS for
-- every row it is given, carrying each whole row through the join).
WITH kinds AS (
  SELECT
    *,
    lower(operation) SIMILAR TO 'microsoft\.insights/diagnosticsettings/.*'                               AS is_diagnostics,
    lower(operation) SIMILAR TO 'microsoft\.authorization/(policyassignments|policyexemptions|policydefinitions|policysetdefinitions)/.*' AS is_policy
  FROM events
  WHERE time >= $since::TIMESTAMPTZ
    AND time <  $until::TIMESTAMPTZ
),
candidates AS (
  SELECT
    *,
    details->>'public_network_access'    AS public_network_access,
    details->>'network_default_action'   AS network_default_action,
    details->>'minimum_tls_version'      AS minimum_tls_version,
    (details->>'allow_blob_public_access')::BOOLEAN AS allow_blob_public_access,
    (details->>'https_only')::BOOLEAN              AS https_only,
    (details->>'enable_soft_delete')::BOOLEAN      AS soft_delete,
    (details->>'enable_purge_protection')::BOOLEAN AS purge_protection,
    (details->>'enable_rbac_authorization')::BOOLEAN AS rbac_authorization
  FROM kinds
  -- one pass of RE2 over the text costs a third of one JSON parse, and a tenth of ten contains()
  WHERE is_diagnostics OR is_policy
     OR regexp_matches(details, '"(public_network_access|network_default_action|minimum_tls_version|allow_blob_public_access|https_only|enable_soft_delete|enable_purge_protection|enable_rbac_authorization|is_access_policy_change|is_network_rule_change)"')
),
changes AS MATERIALIZED (
  SELECT *
  FROM candidates e
  WHERE NOT (result = 'start' AND EXISTS (
    SELECT 1 FROM events c
    WHERE c.correlation_id = e.correlation_id AND lower(c.operation) = lower(e.operation) AND c.result <> 'start'))
)
SELECT
  time,
  CASE WHEN is_diagnostics THEN 'diagnostic-settings' WHEN is_policy THEN 'policy' ELSE 'resource-settings' END AS kind,
  operation,
  result,
  principal_id,
  principal_name,
  caller_ip,
  resource_type,
  resource_name,
  -- the settings present in this change, as name=value
  concat_ws(', ',
    'public_network_access=' || public_network_access,
    'network_default_action=' || network_default_action,
    'minimum_tls_version=' || minimum_tls_version,
    'allow_blob_public_access=' || allow_blob_public_access,
    'https_only=' || https_only,
    'soft_delete=' || soft_delete,
    'purge_protection=' || purge_protection,
    'rbac_authorization=' || rbac_authorization,
    CASE WHEN (details->>'is_access_policy_change') = 'true'
         THEN 'access_policy+=' || coalesce(details->>'added_access_policy_object_id', '?') || ':' || coalesce(details->>'added_access_policy_permissions', '?') END
  ) AS settings,
  (   (is_diagnostics AND lower(operation) LIKE '%/delete')
   OR (is_policy AND lower(operation) LIKE '%/delete')
   OR public_network_access ILIKE 'enabled'
   OR network_default_action ILIKE 'allow'
   OR minimum_tls_version IN ('TLS1_0', 'TLS1_1')
   OR allow_blob_public_access
   OR NOT https_only
   OR NOT soft_delete
   OR NOT purge_protection
  ) IS TRUE AS weakens,
  details->>'scope' AS scope,
  resource_id,
  event_id
FROM changes
WHERE is_diagnostics OR is_policy
   OR coalesce(public_network_access, network_default_action, minimum_tls_version) IS NOT NULL
   OR coalesce(allow_blob_public_access, https_only, soft_delete, purge_protection, rbac_authorization) IS NOT NULL
   OR (details->>'is_access_policy_change') = 'true'
   OR (details->>'is_network_rule_change') = 'true'
ORDER BY time, event_id
