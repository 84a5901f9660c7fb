/**
 * Names for object ids. Many records carry only the caller's object id (Key Vault's `oid`, a
 * managed identity's storage reads, a role assignment's grantee), while Entra ID's sign-in and
 * audit logs name it: the views show that name, so analysts read `svc-research-reporting`, not
 * a GUID. The saved queries that name callers (secret-readers, vault-first-seen-callers,
 * role-assignments) follow the same rule in their own SQL; test/queries.test.ts holds their
 * category lists to NAMING_CATEGORIES.
 */
import { SIGNIN_CATEGORIES } from '../schema/signin.js';
import type { ReadRows } from './rows.js';

/**
 * Where a name is taken from: the categories in which Entra ID itself names the principal.
 * Their row groups, and an export's files, are few and small, so looking names up there costs
 * little even over years of events.
 */
export const NAMING_CATEGORIES: readonly string[] = [...SIGNIN_CATEGORIES, 'AuditLogs'];

const inNamingCategories = `category IN (${NAMING_CATEGORIES.map((c) => `'${c}'`).join(', ')})`;

/**
 * A CTE body naming the ids `idsSql` selects: each one's latest name in NAMING_CATEGORIES,
 * as (principal_id, principal_name).
 */
export const namesFor = (idsSql: string) => `
  SELECT principal_id, arg_max(principal_name, time) AS principal_name
  FROM events
  WHERE ${inNamingCategories} AND principal_id IN (${idsSql}) AND principal_name IS NOT NULL
  GROUP BY principal_id`;

const NAMES_SQL = namesFor(`SELECT unnest(from_json($ids, '["VARCHAR"]'))`);

/** Fills `principal_name` where it is null and Entra ID names the `principal_id`. */
export async function nameUnnamed<T extends { principal_id?: unknown; principal_name?: unknown }>(read: ReadRows, rows: T[]): Promise<T[]> {
  const ids = [...new Set(rows.filter((r) => !r.principal_name && typeof r.principal_id === 'string').map((r) => r.principal_id as string))];
  if (ids.length === 0) return rows;
  const found = new Map((await read(NAMES_SQL, { ids: JSON.stringify(ids) }, ids.length)).map((r) => [r.principal_id, r.principal_name]));
  for (const r of rows) if (!r.principal_name && found.has(r.principal_id)) r.principal_name = found.get(r.principal_id);
  return rows;
}
