/**
 * The `details` facts investigations filter and group on, stored also as columns of their own
 * (named as their `details` key). `details` is zstd-compressed JSON: a query touching it
 * decompresses and parses every row group it reads, ~0.3 s per million rows even when 1 % of
 * rows match (a role assignment sits between thousands of storage reads). A column is read
 * alone, and skipped where it is NULL. `details` keeps every fact too, so SQL written against
 * it still works. Migration 005 adds these columns, in this order, after `raw`.
 */
export type FactType = 'VARCHAR' | 'BOOLEAN';

export const FACT_COLUMNS: ReadonlyArray<readonly [string, FactType]> = [
  // Storage
  ['account_name', 'VARCHAR'],
  ['sas_permissions', 'VARCHAR'],
  ['sas_expiry', 'VARCHAR'],
  // Activity log (RBAC and resource writes)
  ['caller_role', 'VARCHAR'],
  ['role_name', 'VARCHAR'],
  ['scope', 'VARCHAR'],
  ['scope_type', 'VARCHAR'],
  ['grantee_type', 'VARCHAR'],
  ['self_assignment', 'BOOLEAN'],
  // Entra audit logs
  ['target_id', 'VARCHAR'],
  ['target_type', 'VARCHAR'],
  ['audit_category', 'VARCHAR'],
  ['logged_by_service', 'VARCHAR'],
  ['result_reason', 'VARCHAR'],
  ['modified_properties', 'VARCHAR'],
  // Sign-ins
  ['mfa', 'BOOLEAN'],
  ['is_interactive', 'BOOLEAN'],
  ['auth_requirement', 'VARCHAR'],
  ['auth_methods', 'VARCHAR'],
  ['ca_status', 'VARCHAR'],
  ['country', 'VARCHAR'],
  ['app_display_name', 'VARCHAR'],
  ['resource_display_name', 'VARCHAR'],
  // Resource configuration changes (governance)
  ['public_network_access', 'VARCHAR'],
  ['network_default_action', 'VARCHAR'],
  ['minimum_tls_version', 'VARCHAR'],
  ['allow_blob_public_access', 'BOOLEAN'],
  ['https_only', 'BOOLEAN'],
  ['enable_soft_delete', 'BOOLEAN'],
  ['enable_purge_protection', 'BOOLEAN'],
  ['enable_rbac_authorization', 'BOOLEAN'],
  ['is_access_policy_change', 'BOOLEAN'],
  ['is_network_rule_change', 'BOOLEAN'],
  ['added_access_policy_object_id', 'VARCHAR'],
  ['added_access_policy_permissions', 'VARCHAR'],
];

/**
 * SQL for a fact read from `details`, as migration 005 stores it (an export written before 005
 * has only `details`). Parenthesised: DuckDB binds ->> more loosely than comparisons.
 */
export function factFromDetailsSql(name: string, type: FactType): string {
  return type === 'BOOLEAN' ? `TRY_CAST(details->>'${name}' AS BOOLEAN)` : `(details->>'${name}')`;
}

/** Every fact of a `details` value as one list, element i for FACT_COLUMNS[i]: DuckDB parses the JSON once. */
export function factListSql(details: string): string {
  return `json_extract_string(${details}, [${FACT_COLUMNS.map(([n]) => `'$.${n}'`).join(', ')}])`;
}

/** Element i of that list, in its fact's type. */
export function factFromListSql(list: string, i: number): string {
  const value = `${list}[${i + 1}]`;
  return FACT_COLUMNS[i]![1] === 'BOOLEAN' ? `TRY_CAST(${value} AS BOOLEAN)` : value;
}

/**
 * The facts that say a record changes a resource's guard rails: its network exposure, TLS
 * minimum, public blob access, HTTPS-only, soft delete, purge protection, the vault's access
 * model, access policies and firewall.
 */
export const SETTINGS_FACTS = [
  'public_network_access', 'network_default_action', 'minimum_tls_version', 'allow_blob_public_access', 'https_only',
  'enable_soft_delete', 'enable_purge_protection', 'enable_rbac_authorization', 'is_access_policy_change', 'is_network_rule_change',
] as const;

/**
 * `settings_change` (migration 006, after the facts): true on a record with any of those facts,
 * NULL on the rest. A query for setting changes then tests one column, which DuckDB does inside
 * the scan, reading the other columns of matching rows only, and skipping row groups where it
 * is NULL throughout; a test of each fact in turn, an OR across ten columns, made it read every
 * column of every event (queries/governance-changes.sql).
 */
export const SETTINGS_CHANGE_COLUMN = 'settings_change';

/** `settings_change` as SQL, each fact given by `fact(name)`; migration 006 spells the same test. */
export function settingsChangeSql(fact: (name: string) => string): string {
  // The is_* facts say a change when true; the settings, when present at all.
  const tests = SETTINGS_FACTS.map((n) => (n.startsWith('is_') ? `${fact(n)} IS TRUE` : `${fact(n)} IS NOT NULL`));
  return `CASE WHEN ${tests.join(' OR ')} THEN true END`;
}
