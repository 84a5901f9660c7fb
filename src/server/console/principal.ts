/**
 * One principal across every family: who it is (every object id and name seen with it), a
 * timeline of what it did — and what was done to it (roles granted) — in the window, hourly
 * operations and egress against its own baseline, and the IPs and resources it used, each
 * marked new when first seen within the window rather than before it.
 *
 * A principal is given as an object id, a UPN/display name, or — for SAS, account-key and
 * anonymous callers, who have no principal — an IP address.
 */
import { z } from 'zod';
import type { SqlParams } from '../../store/reader.js';
import { HttpError } from '../respond.js';
import { rowObjects, runViewSql, type SqlContext } from '../statements.js';
import { hourlyCountsSql, hourlySeries, resolveWindow, windowParams, type HourCount } from './window.js';

export const principalQuerySchema = z.object({
  p: z.string().trim().min(1).max(400),
  from: z.string().optional(),
  to: z.string().optional(),
  offset: z.coerce.number().int().min(0).default(0),
});
export type PrincipalQuery = z.infer<typeof principalQuerySchema>;

const TIMELINE_ROWS = 500;
const LIST_ROWS = 100;

/** The log family of an event, as the views and `principal-timeline` name them. */
export const FAMILY_SQL = `CASE
    WHEN category = 'AuditEvent' THEN 'keyvault'
    WHEN category IN ('StorageRead', 'StorageWrite', 'StorageDelete') THEN 'storage'
    WHEN lower(operation) LIKE 'microsoft.authorization/%' THEN 'rbac'
    WHEN category = 'AuditLogs' THEN 'entra'
    WHEN category LIKE '%SignInLogs' THEN 'signin'
    WHEN resource_type = 'microsoft.machinelearningservices/workspaces' THEN 'aml'
    ELSE 'activity'
  END`;

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-f:]+:[0-9a-f:.]*$/i;

/** Which rows are the principal's: conditions over `events`, and their parameters. */
interface Selection {
  kind: 'principal' | 'ip';
  /** Rows it did. */
  actor: string;
  /** Rows it did, or that were done to it. */
  involved: string;
  params: SqlParams;
}

/**
 * Exact matches against the values the identity step found, as they are stored: comparing
 * `lower(column)` would lower-case a million strings per statement; `list_contains` of a
 * bound list is evaluated against the column's values as they are.
 */
function selection(p: string, identities: string[]): Selection {
  if (IPV4.test(p) || IPV6.test(p)) {
    const actor = 'caller_ip ILIKE $ip'; // IPv6 text may arrive in either case; the pattern is an address (no wildcards)
    return { kind: 'ip', actor, involved: actor, params: { ip: p } };
  }
  const has = (column: string) => `list_contains(from_json($ident, '["VARCHAR"]'), ${column})`;
  const actor = `(${has('principal_id')} OR ${has('principal_name')})`;
  return {
    kind: 'principal',
    actor,
    // Done to it: a role assignment's grantee or an Entra change's target.
    involved: `(${actor} OR (${has('target')} AND (lower(operation) LIKE 'microsoft.authorization/roleassignments/%' OR category = 'AuditLogs')))`,
    params: { ident: JSON.stringify(identities) },
  };
}

/**
 * One hop, as principal-timeline does: every id and name seen in a record with the one given,
 * matched without regard to case (ILIKE with LIKE's wildcards escaped: an exact comparison).
 */
const IDENTITY_SQL = `
  SELECT list(DISTINCT principal_id) FILTER (WHERE principal_id IS NOT NULL) AS ids,
         list(DISTINCT principal_name) FILTER (WHERE principal_name IS NOT NULL) AS names,
         mode(principal_type) AS principal_type
  FROM events WHERE principal_id ILIKE $p ESCAPE '\\' OR principal_name ILIKE $p ESCAPE '\\'`;

const likeExactly = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

const spanSql = (s: Selection) => `
  SELECT min(time) AS first_seen, max(time) AS last_seen, count(*) AS events FROM events WHERE ${s.actor}`;

/** A page of the timeline (the families' counts give its total: no window count over every row). */
const timelineSql = (s: Selection) => `
  SELECT time, ${FAMILY_SQL} AS family, CASE WHEN ${s.actor} THEN 'actor' ELSE 'subject' END AS role,
         operation, result, principal_name, principal_id, caller_ip, auth_type, resource_name, resource_type, resource_id,
         target, role_name, bytes_out, user_agent, event_id
  FROM events
  WHERE time >= $from::TIMESTAMPTZ AND time < $to::TIMESTAMPTZ AND ${s.involved}
  ORDER BY time, event_id
  LIMIT ${TIMELINE_ROWS} OFFSET $offset`;

const familiesSql = (s: Selection) => `
  SELECT ${FAMILY_SQL} AS family, count(*) AS events, count(*) FILTER (WHERE result = 'failure') AS failures
  FROM events WHERE time >= $from::TIMESTAMPTZ AND time < $to::TIMESTAMPTZ AND ${s.involved}
  GROUP BY ALL ORDER BY events DESC`;

/**
 * What the principal used in the window, with when each was first used at all (up to the
 * window's end): `is_new` when that is inside the window.
 */
const usedSql = (s: Selection, keys: string[]) => `
  SELECT ${keys.join(', ')},
         count(*) FILTER (WHERE time >= $from::TIMESTAMPTZ) AS events,
         coalesce(sum(bytes_out) FILTER (WHERE time >= $from::TIMESTAMPTZ), 0)::DOUBLE AS bytes_out,
         min(time) AS first_seen,
         max(time) AS last_seen,
         min(time) >= $from::TIMESTAMPTZ AS is_new
  FROM events
  WHERE time < $to::TIMESTAMPTZ AND ${keys[0]} IS NOT NULL AND ${s.actor}
  GROUP BY ALL
  HAVING count(*) FILTER (WHERE time >= $from::TIMESTAMPTZ) > 0
  ORDER BY is_new DESC, events DESC
  LIMIT ${LIST_ROWS}`;

export async function principalView(ctx: SqlContext, q: PrincipalQuery): Promise<object> {
  const [who] = rowObjects(await runViewSql(ctx, IDENTITY_SQL, { p: likeExactly(q.p) }, 1));
  const ids = (who?.ids as string[] | null) ?? [];
  const names = (who?.names as string[] | null) ?? [];
  const identities = [...new Set([q.p, ...ids, ...names])];
  const sel = selection(q.p, identities);
  const [span] = rowObjects(await runViewSql(ctx, spanSql(sel), sel.params, 1));
  if (!span || Number(span.events) === 0) throw new HttpError(404, 'not_found', `no events by ${q.p} (give an object id, a UPN or name, or an IP)`);
  const w = resolveWindow(q.from, q.to, Date.parse(String(span.last_seen)));
  const params = { ...sel.params, ...windowParams(w) };
  const [timeline, families, hourly, ips, resources] = await Promise.all([
    runViewSql(ctx, timelineSql(sel), { ...params, offset: q.offset }, TIMELINE_ROWS).then(rowObjects),
    runViewSql(ctx, familiesSql(sel), params, 100).then(rowObjects),
    runViewSql(ctx, hourlyCountsSql(sel.actor), params, 10_000).then(rowObjects),
    runViewSql(ctx, usedSql(sel, ['caller_ip']), params, LIST_ROWS).then(rowObjects),
    runViewSql(ctx, usedSql(sel, ['resource_id', 'resource_name', 'resource_type']), params, LIST_ROWS).then(rowObjects),
  ]);
  const total = families.reduce((n, f) => n + Number(f.events), 0);
  return {
    principal: {
      query: q.p,
      kind: sel.kind,
      ids: sel.kind === 'ip' ? [] : ids,
      names: sel.kind === 'ip' ? [] : names,
      principal_type: sel.kind === 'ip' ? null : (who?.principal_type ?? null),
      first_seen: span.first_seen,
      last_seen: span.last_seen,
    },
    window: { from: params.from, to: params.to, baseline_from: params.base_from },
    families,
    hourly: hourlySeries(hourly as unknown as HourCount[], w, Date.parse(String(span.first_seen))),
    ips,
    resources,
    timeline: { rows: timeline, total, offset: q.offset, pageRows: TIMELINE_ROWS },
  };
}
