/**
 * The alerts views: the list (filtered by severity, detector, time and principal, paged) and
 * one alert with what the detector catalogue says about it and its evidence events
 * (investigate/alert-detail.ts, which `auditlake alerts show` reads too).
 */
import { z } from 'zod';
import { HttpError } from '../respond.js';
import { exceptionFor } from '../../detectors/exceptions.js';
import { readAlertDetail, type AlertTable } from '../../investigate/alert-detail.js';
import { namesFor } from '../../investigate/names.js';
import { rowObjects, runViewSql, viewRows, type SqlContext } from '../statements.js';

export const SEVERITIES = ['informational', 'low', 'medium', 'high'] as const;
const PAGE_ROWS = 200;

export const alertsQuerySchema = z.object({
  severity: z.enum(SEVERITIES).optional(),
  detector: z.string().max(200).optional(),
  principal: z.string().max(400).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  /** `1`: the alerts a detector exception kept apart (`suppressed_alerts`), with its reason. */
  suppressed: z.enum(['1']).optional(),
});
export type AlertsQuery = z.infer<typeof alertsQuerySchema>;

const SEVERITY_RANK = `(CASE a.severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)`;

/**
 * The alerts of `table` (or those an exception suppressed, with its reason). An id-only principal
 * is shown, and found, by the name Entra ID gives it (investigate/names.ts).
 */
const alertsSql = (table: AlertTable) => `
  WITH named AS (${namesFor(`SELECT principal_id FROM ${table} WHERE principal_name IS NULL`)})
  SELECT a.alert_id, a.severity, a.detector_id, a.title, a.principal_id, coalesce(a.principal_name, n.principal_name) AS principal_name,
         a.caller_ip, a.resource_id, a.first_event_time, a.last_event_time, a.event_count,
         ${table === 'suppressed_alerts' ? 'a.suppressed_by, ' : ''}count(*) OVER () AS total
  FROM ${table} a LEFT JOIN named n ON n.principal_id = a.principal_id
  WHERE ${SEVERITY_RANK} >= $min_rank
    AND ($detector = '' OR a.detector_id = $detector)
    -- a name, an object id or an IP, in part
    AND ($principal = '' OR contains(lower(concat_ws(' ', a.principal_name, n.principal_name, a.principal_id, a.app_id, a.caller_ip)), lower($principal)))
    AND a.last_event_time >= $from::TIMESTAMPTZ AND a.first_event_time < $to::TIMESTAMPTZ
  ORDER BY ${SEVERITY_RANK} DESC, a.last_event_time DESC, a.alert_id
  LIMIT ${PAGE_ROWS} OFFSET $offset`;

/** Every detector that raised something, for the filter; and the time the alerts span. */
const facetsSql = (table: AlertTable) => `
  SELECT detector_id, count(*) AS alerts, min(first_event_time) AS first_event_time, max(last_event_time) AS last_event_time
  FROM ${table} GROUP BY detector_id ORDER BY detector_id`;

/** An export folder (`serve --parquet`) holds events only: said, rather than DuckDB's missing table. */
async function requireAlerts(ctx: SqlContext): Promise<void> {
  if ((await ctx.reader.relations()).names.has('alerts')) return;
  throw new HttpError(404, 'not_found', 'no alerts here: this server reads an export folder (auditlake export), which holds events only; look up a principal or a resource, or run SQL');
}

export async function alertList(ctx: SqlContext, q: AlertsQuery): Promise<object> {
  await requireAlerts(ctx);
  const params = {
    min_rank: q.severity ? SEVERITIES.indexOf(q.severity) : 0,
    detector: q.detector ?? '',
    principal: (q.principal ?? '').trim(),
    from: q.from ?? '1970-01-01T00:00:00Z',
    to: q.to ?? '2999-01-01T00:00:00Z',
    offset: q.offset,
  };
  // A file from before suppressed_alerts (opened read-only) has none.
  const withSuppressed = (await ctx.reader.relations()).names.has('suppressed_alerts');
  if (q.suppressed && !withSuppressed) throw new HttpError(404, 'not_found', 'no suppressed alerts here: this database predates detector exceptions');
  const table: AlertTable = q.suppressed ? 'suppressed_alerts' : 'alerts';
  const [list, facets, suppressed] = await Promise.all([
    runViewSql(ctx, alertsSql(table), params, PAGE_ROWS),
    runViewSql(ctx, facetsSql(table), {}, 10_000),
    withSuppressed ? runViewSql(ctx, 'SELECT count(*) AS n FROM suppressed_alerts', {}, 1) : undefined,
  ]);
  const alerts = rowObjects(list);
  const total = Number(alerts[0]?.total ?? 0);
  for (const a of alerts) delete a.total;
  // How many an exception kept apart, so the list says they exist.
  const suppressedCount = suppressed ? Number(rowObjects(suppressed)[0]?.n ?? 0) : 0;
  return { alerts, total, offset: q.offset, pageRows: PAGE_ROWS, detectors: rowObjects(facets), suppressed: suppressedCount };
}

/** One alert, raised or kept apart by an exception (whose reason it then carries as `suppressed_by`). */
export async function alertDetail(ctx: SqlContext, id: string): Promise<object> {
  await requireAlerts(ctx);
  const read = viewRows(ctx);
  const detail = await readAlertDetail(read, id)
    ?? ((await ctx.reader.relations()).names.has('suppressed_alerts') ? await readAlertDetail(read, id, 'suppressed_alerts') : null);
  if (!detail) throw new HttpError(404, 'not_found', `no alert ${id}`);
  const name = detail.alert.principal_name;
  return { ...detail, exception: exceptionFor(detail.alert, typeof name === 'string' ? name : undefined) };
}
