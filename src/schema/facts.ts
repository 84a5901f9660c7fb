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
