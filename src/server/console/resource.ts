/**
 * A Key Vault, storage account or Azure ML workspace: who accessed it (each caller marked new
 * when first seen on it within the window), how (operations by authentication type), on what
 * (secrets, blobs), and how much (requests and egress per hour against its baseline).
 * Storage records name a service below the account (`…/storageaccounts/x/blobservices/default`),
 * so a resource covers every id under its own.
 */
import { z } from 'zod';
import { HttpError } from '../respond.js';
import { nameUnnamed } from '../../investigate/names.js';
import { rowObjects, runViewSql, viewRows, type SqlContext } from '../statements.js';
import { hourlyCountsSql, hourlySeries, resolveWindow, windowParams, type HourCount } from './window.js';

export const resourceQuerySchema = z.object({
  id: z.string().trim().min(1).max(1000),
  from: z.string().optional(),
  to: z.string().optional(),
});
export type ResourceQuery = z.infer<typeof resourceQuerySchema>;

const LIST_ROWS = 100;

/** The resource types the view is for, and the account-level id of any id below one. */
const RESOURCE_ROOT = String.raw`^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.(keyvault/vaults|storage/storageaccounts|machinelearningservices/workspaces)/[^/]+)`;

/** Grouped by stored id first (a few hundred), so the regular expression runs per id, not per event. */
const RESOURCES_SQL = `
  WITH per_id AS (
    SELECT resource_id, count(*) AS events, coalesce(sum(bytes_out), 0) AS bytes_out, min(time) AS first_seen, max(time) AS last_seen
    FROM events
    WHERE resource_type LIKE 'microsoft.keyvault/vaults%' OR resource_type LIKE 'microsoft.storage/storageaccounts%'
       OR resource_type LIKE 'microsoft.machinelearningservices/workspaces%'
    GROUP BY resource_id)
  SELECT regexp_extract(resource_id, '${RESOURCE_ROOT}', 1) AS resource_id,
         regexp_extract(resource_id, '${RESOURCE_ROOT}', 2) AS resource_type,
         sum(events) AS events, sum(bytes_out)::DOUBLE AS bytes_out, min(first_seen) AS first_seen, max(last_seen) AS last_seen
  FROM per_id
  GROUP BY ALL
  HAVING regexp_extract(resource_id, '${RESOURCE_ROOT}', 1) <> ''
  ORDER BY resource_type, resource_id`;

export async function resourceList(ctx: SqlContext): Promise<object> {
  const rows = rowObjects(await runViewSql(ctx, RESOURCES_SQL, {}, 10_000));
  return { resources: rows.map((r) => ({ ...r, resource_name: String(r.resource_id).split('/').pop() })) };
}

const ON_RESOURCE = `(resource_id = $rid OR starts_with(resource_id, $rid || '/'))`;
/** A caller: its object id, else its name, else (SAS, account key, anonymous) its IP. */
const CALLER_KEY = `coalesce(principal_id, principal_name, caller_ip, '?')`;
const IN_WINDOW = `time >= $from::TIMESTAMPTZ AND time < $to::TIMESTAMPTZ`;

const SPAN_SQL = `SELECT min(time) AS first_seen, max(time) AS last_seen, count(*) AS events, mode(resource_type) AS resource_type
  FROM events WHERE ${ON_RESOURCE}`;

const CALLERS_SQL = `
  SELECT ${CALLER_KEY} AS caller, max(principal_name) AS principal_name, max(principal_id) AS principal_id,
         mode(principal_type) AS principal_type,
         list(DISTINCT auth_type ORDER BY auth_type) FILTER (WHERE ${IN_WINDOW} AND auth_type IS NOT NULL) AS auth_types,
         count(DISTINCT caller_ip) FILTER (WHERE ${IN_WINDOW}) AS ips,
         count(*) FILTER (WHERE ${IN_WINDOW}) AS events,
         count(*) FILTER (WHERE ${IN_WINDOW} AND result = 'failure') AS failures,
         coalesce(sum(bytes_out) FILTER (WHERE ${IN_WINDOW}), 0)::DOUBLE AS bytes_out,
         min(time) AS first_seen, max(time) AS last_seen,
         min(time) >= $from::TIMESTAMPTZ AS is_new
  FROM events
  WHERE time < $to::TIMESTAMPTZ AND ${ON_RESOURCE}
  GROUP BY ALL
  HAVING count(*) FILTER (WHERE ${IN_WINDOW}) > 0
  ORDER BY is_new DESC, events DESC
  LIMIT ${LIST_ROWS}`;

const OPERATIONS_SQL = `
  SELECT operation, auth_type, count(*) AS events, count(*) FILTER (WHERE result = 'failure') AS failures,
         coalesce(sum(bytes_out), 0)::DOUBLE AS bytes_out, count(DISTINCT ${CALLER_KEY}) AS callers
  FROM events WHERE ${IN_WINDOW} AND ${ON_RESOURCE}
  GROUP BY ALL ORDER BY events DESC LIMIT ${LIST_ROWS}`;

const TARGETS_SQL = `
  SELECT target, count(*) AS events, coalesce(sum(bytes_out), 0)::DOUBLE AS bytes_out, count(DISTINCT ${CALLER_KEY}) AS callers,
         list(DISTINCT operation ORDER BY operation) AS operations
  FROM events WHERE ${IN_WINDOW} AND ${ON_RESOURCE} AND target IS NOT NULL
  GROUP BY ALL ORDER BY events DESC LIMIT ${LIST_ROWS}`;

export async function resourceView(ctx: SqlContext, q: ResourceQuery): Promise<object> {
  const rid = q.id.toLowerCase().replace(/\/+$/, '');
  const [span] = rowObjects(await runViewSql(ctx, SPAN_SQL, { rid }, 1));
  if (!span || Number(span.events) === 0) throw new HttpError(404, 'not_found', `no events on ${q.id} (give a resource id, as the resource list shows)`);
  const w = resolveWindow(q.from, q.to, Date.parse(String(span.last_seen)));
  const params = { rid, ...windowParams(w) };
  const [hourly, callers, operations, targets] = await Promise.all([
    runViewSql(ctx, hourlyCountsSql(ON_RESOURCE), params, 10_000).then(rowObjects),
    runViewSql(ctx, CALLERS_SQL, params, LIST_ROWS).then(rowObjects).then((rows) => nameUnnamed(viewRows(ctx), rows)),
    runViewSql(ctx, OPERATIONS_SQL, params, LIST_ROWS).then(rowObjects),
    runViewSql(ctx, TARGETS_SQL, params, LIST_ROWS).then(rowObjects),
  ]);
  return {
    resource: { resource_id: rid, resource_name: rid.split('/').pop(), ...span },
    window: { from: params.from, to: params.to, baseline_from: params.base_from },
    hourly: hourlySeries(hourly as unknown as HourCount[], w, Date.parse(String(span.first_seen))),
    callers,
    operations,
    targets,
  };
}
