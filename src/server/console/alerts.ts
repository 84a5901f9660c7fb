/**
 * The alerts views: the list (filtered by severity, detector, time and principal, paged) and
 * one alert with what the detector catalogue says about it and its evidence events. The alerts
 * table is small (one row per incident); the evidence events are found by id within the alert's
 * own time range, so DuckDB reads only the row groups of those hours.
 */
import { z } from 'zod';
import { detectors } from '../../detectors/index.js';
import { HttpError } from '../respond.js';
import { rowObjects, runViewSql, type SqlContext } from '../statements.js';
import { nameUnnamed } from './names.js';

export const SEVERITIES = ['informational', 'low', 'medium', 'high'] as const;
const PAGE_ROWS = 200;

export const alertsQuerySchema = z.object({
  severity: z.enum(SEVERITIES).optional(),
  detector: z.string().max(200).optional(),
  principal: z.string().max(400).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  offset: z.coerce.number().int().min(0).default(0),
});
export type AlertsQuery = z.infer<typeof alertsQuerySchema>;

const SEVERITY_RANK = `(CASE a.severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)`;

const ALERTS_SQL = `
  SELECT a.alert_id, a.severity, a.detector_id, a.title, a.principal_id, a.principal_name, a.caller_ip, a.resource_id,
         a.first_event_time, a.last_event_time, a.event_count, count(*) OVER () AS total
  FROM alerts a
  WHERE ${SEVERITY_RANK} >= $min_rank
    AND ($detector = '' OR a.detector_id = $detector)
    -- a name, an object id or an IP, in part
    AND ($principal = '' OR contains(lower(concat_ws(' ', a.principal_name, a.principal_id, a.app_id, a.caller_ip)), lower($principal)))
    AND a.last_event_time >= $from::TIMESTAMPTZ AND a.first_event_time < $to::TIMESTAMPTZ
  ORDER BY ${SEVERITY_RANK} DESC, a.last_event_time DESC, a.alert_id
  LIMIT ${PAGE_ROWS} OFFSET $offset`;

/** Every detector that raised something, for the filter; and the time the alerts span. */
const FACETS_SQL = `
  SELECT detector_id, count(*) AS alerts, min(first_event_time) AS first_event_time, max(last_event_time) AS last_event_time
  FROM alerts GROUP BY detector_id ORDER BY detector_id`;

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
  const [list, facets] = await Promise.all([
    runViewSql(ctx, ALERTS_SQL, params, PAGE_ROWS),
    runViewSql(ctx, FACETS_SQL, {}, 10_000),
  ]);
  const alerts = await nameUnnamed(ctx, rowObjects(list));
  const total = Number(alerts[0]?.total ?? 0);
  for (const a of alerts) delete a.total;
  return { alerts, total, offset: q.offset, pageRows: PAGE_ROWS, detectors: rowObjects(facets) };
}

const ALERT_SQL = `
  SELECT alert_id, detector_id, title, severity, tactics, techniques, time_generated, first_event_time, last_event_time,
         principal_id, principal_name, app_id, caller_ip, resource_id, event_count, evidence, description, remediation
  FROM alerts WHERE alert_id = $id`;

/** Evidence events by id; the alert's time range (an hour either side) limits what is read. */
const EVIDENCE_SQL = `
  SELECT time, category, operation, result, principal_id, principal_name, principal_type, auth_type, caller_ip,
         resource_name, resource_id, target, bytes_out, user_agent, event_id
  FROM events
  WHERE time >= $first::TIMESTAMPTZ - INTERVAL 1 HOUR AND time <= $last::TIMESTAMPTZ + INTERVAL 1 HOUR
    AND event_id IN (SELECT unnest(from_json($ids, '["VARCHAR"]')))
  ORDER BY time, event_id`;

/** Other alerts about the same principal or IP: what else the incident touched. */
const RELATED_SQL = `
  SELECT alert_id, severity, detector_id, title, first_event_time, last_event_time, event_count
  FROM alerts
  WHERE alert_id <> $id AND (($pid <> '' AND principal_id = $pid) OR ($pid = '' AND $ip <> '' AND caller_ip = $ip))
  ORDER BY last_event_time DESC LIMIT 50`;

export async function alertDetail(ctx: SqlContext, id: string): Promise<object> {
  await requireAlerts(ctx);
  const [row] = await nameUnnamed(ctx, rowObjects(await runViewSql(ctx, ALERT_SQL, { id }, 1)));
  if (!row) throw new HttpError(404, 'not_found', `no alert ${id}`);
  const evidence = parseEvidence(row.evidence);
  const ids = Array.isArray(evidence.event_ids) ? evidence.event_ids.filter((x): x is string => typeof x === 'string') : [];
  const [events, related] = await Promise.all([
    ids.length === 0 ? Promise.resolve([]) : runViewSql(ctx, EVIDENCE_SQL, { first: String(row.first_event_time), last: String(row.last_event_time), ids: JSON.stringify(ids) }, ids.length).then(rowObjects),
    runViewSql(ctx, RELATED_SQL, { id, pid: String(row.principal_id ?? ''), ip: String(row.caller_ip ?? '') }, 50).then(rowObjects),
  ]);
  const { event_ids: _ids, ...facts } = evidence;
  return { alert: { ...row, evidence: facts }, evidenceEventIds: ids.length, events, related, detector: catalogueEntry(String(row.detector_id)) };
}

function parseEvidence(value: unknown): Record<string, unknown> {
  if (typeof value !== 'string') return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    return { text: value };
  }
}

/** What the catalogue says about a detector: ATT&CK names, false positives, the setting it needs. */
function catalogueEntry(id: string): object | null {
  const d = detectors.find((x) => x.id === id);
  if (!d) return null;
  return {
    id: d.id,
    title: d.title,
    family: d.family,
    techniques: d.attack.map((t) => ({ id: t.id, name: t.name, tactics: t.tactics.map((x) => x.name) })),
    falsePositives: d.falsePositives,
    setting: d.needs.setting,
  };
}
