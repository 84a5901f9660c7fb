/**
 * One alert, as an analyst opens it: the alert row, what the detector catalogue says about it,
 * its evidence events and the other alerts about the same principal (or IP). The console's
 * alert view and `auditlake alerts show` both read it here. The alerts table is small (one row
 * per incident); the evidence events are found by id within the alert's own time range, so
 * DuckDB reads only the row groups of those hours.
 */
import { detectors } from '../detectors/index.js';
import { nameUnnamed } from './names.js';
import type { ReadRows } from './rows.js';

/** Where an alert is: raised, or kept apart by a detector exception (with its reason). */
export type AlertTable = 'alerts' | 'suppressed_alerts';

const alertSql = (table: AlertTable) => `
  SELECT alert_id, detector_id, title, severity, tactics, techniques, time_generated, first_event_time, last_event_time,
         principal_id, principal_name, app_id, caller_ip, resource_id, event_count, evidence, description, remediation
         ${table === 'suppressed_alerts' ? ', suppressed_by' : ''}
  FROM ${table} WHERE alert_id = $id`;

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

/** Ids starting with a prefix, a few more than one so that an ambiguous prefix shows as such. */
const idsSql = (table: AlertTable) => `SELECT alert_id FROM ${table} WHERE starts_with(alert_id, $prefix) ORDER BY alert_id LIMIT $limit::INTEGER`;

type Row = Record<string, unknown>;

export interface CatalogueEntry {
  id: string;
  title: string;
  family: string;
  techniques: Array<{ id: string; name: string; tactics: string[] }>;
  falsePositives: readonly string[];
  setting: string;
}

export interface AlertDetail {
  /** The alert row, its `evidence` parsed and without the event ids (those are `events`). */
  alert: Row & { evidence: Row };
  /** How many event ids the evidence names (up to the detector's cap), found or not. */
  evidenceEventIds: number;
  events: Row[];
  related: Row[];
  detector: CatalogueEntry | null;
}

/** The alert with exactly this id, or null when there is none. */
export async function readAlertDetail(read: ReadRows, id: string, table: AlertTable = 'alerts'): Promise<AlertDetail | null> {
  const [row] = await nameUnnamed(read, await read(alertSql(table), { id }, 1));
  if (!row) return null;
  const evidence = parseEvidence(row.evidence);
  const ids = Array.isArray(evidence.event_ids) ? evidence.event_ids.filter((x): x is string => typeof x === 'string') : [];
  const [events, related] = await Promise.all([
    ids.length === 0 ? Promise.resolve([]) : read(EVIDENCE_SQL, { first: String(row.first_event_time), last: String(row.last_event_time), ids: JSON.stringify(ids) }, ids.length),
    read(RELATED_SQL, { id, pid: String(row.principal_id ?? ''), ip: String(row.caller_ip ?? '') }, 50),
  ]);
  const { event_ids: _ids, ...facts } = evidence;
  return { alert: { ...row, evidence: facts }, evidenceEventIds: ids.length, events, related, detector: catalogueEntry(String(row.detector_id)) };
}

/** The ids of alerts starting with `prefix` (lower-cased, as ids are written), at most `limit`. */
export async function alertIdsStartingWith(read: ReadRows, prefix: string, limit: number, table: AlertTable = 'alerts'): Promise<string[]> {
  return (await read(idsSql(table), { prefix: prefix.toLowerCase(), limit }, limit)).map((r) => String(r.alert_id));
}

function parseEvidence(value: unknown): Row {
  if (typeof value !== 'string') return typeof value === 'object' && value !== null ? (value as Row) : {};
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Row) : { value: parsed };
  } catch {
    return { text: value };
  }
}

/** What the catalogue says about a detector: ATT&CK names, false positives, the setting it needs. */
function catalogueEntry(id: string): CatalogueEntry | null {
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
