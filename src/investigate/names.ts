/**
 * Names for object ids. Many records carry only the caller's object id (Key Vault's `oid`, a
 * managed identity's storage reads), while a sign-in or another family names it: the views show
 * that name, so analysts read `svc-research-reporting`, not a GUID.
 */
import type { ReadRows } from './rows.js';

const NAMES_SQL = `
  SELECT principal_id, mode(principal_name) AS principal_name
  FROM events
  WHERE principal_id IN (SELECT unnest(from_json($ids, '["VARCHAR"]'))) AND principal_name IS NOT NULL
  GROUP BY principal_id`;

/** Fills `principal_name` where it is null and some event names the `principal_id`. */
export async function nameUnnamed<T extends { principal_id?: unknown; principal_name?: unknown }>(read: ReadRows, rows: T[]): Promise<T[]> {
  const ids = [...new Set(rows.filter((r) => !r.principal_name && typeof r.principal_id === 'string').map((r) => r.principal_id as string))];
  if (ids.length === 0) return rows;
  const found = new Map((await read(NAMES_SQL, { ids: JSON.stringify(ids) }, ids.length)).map((r) => [r.principal_id, r.principal_name]));
  for (const r of rows) if (!r.principal_name && found.has(r.principal_id)) r.principal_name = found.get(r.principal_id);
  return rows;
}
