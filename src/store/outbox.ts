/**
 * The alerts table as an outbox (issue 5): per sink, which alerts are pending, and the outcome
 * of each delivery attempt. It has its own DuckDB connection, so the delivery loop never runs
 * a statement inside the batch loop's open transaction.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { AlertRow } from '../detectors/alert.js';

/** An alert's columns as the sinks want them: epoch-ms times, lists and evidence as values. */
const ALERT_SELECT = `a.alert_id, a.detector_id, a.title, a.severity, to_json(a.tactics)::VARCHAR, to_json(a.techniques)::VARCHAR,
  epoch_ms(a.time_generated)::DOUBLE, epoch_ms(a.first_event_time)::DOUBLE, epoch_ms(a.last_event_time)::DOUBLE,
  a.principal_id, a.principal_name, a.app_id, a.caller_ip, a.resource_id, a.event_count::DOUBLE, a.evidence::VARCHAR,
  a.description, a.remediation`;

/** Pending for a sink: never delivered, or updated since the version delivered. */
const PENDING = '(d.delivered_version IS NULL OR d.delivered_version < a.time_generated)';

/**
 * Alerts pending per sink, for operators: `auditlake alerts --pending` runs it directly or
 * through the server of `run`. `$sinks`: comma-separated names (they are [A-Za-z0-9_.-]), or
 * '' for every sink the outbox has seen.
 */
export const PENDING_SQL = `SELECT s.sink, a.alert_id, a.severity, a.detector_id, a.title, coalesce(d.attempts, 0) AS attempts,
    d.last_error, strftime(d.next_attempt_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS next_attempt_at,
    strftime(p.paused_until, '%Y-%m-%dT%H:%M:%S.%gZ') AS sink_paused_until
  FROM alerts a CROSS JOIN (SELECT unnest(CASE WHEN $sinks = '' THEN (SELECT coalesce(list(DISTINCT sink ORDER BY sink), []) FROM alert_deliveries)
    ELSE string_split($sinks, ',') END) AS sink) s
  LEFT JOIN alert_deliveries d ON d.alert_id = a.alert_id AND d.sink = s.sink
  -- A sink that asked to wait (Retry-After) takes nothing before then: said beside each alert.
  LEFT JOIN sink_pauses p ON p.sink = s.sink AND p.paused_until > now()
  WHERE ${PENDING}
  ORDER BY s.sink, a.time_generated, a.alert_id`;

export interface PendingRow {
  sink: string;
  alert_id: string;
  severity: string;
  detector_id: string;
  title: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: number | null;
  /** When the sink's pause (a Retry-After it answered) ends, while it lasts. */
  sink_paused_until: number | null;
}

export class Outbox {
  constructor(private readonly conn: DuckDBConnection) {}

  /**
   * Up to `limit` alerts pending for `sink` whose next attempt is due, oldest first; none while
   * the sink is paused (`pause`), not even alerts it has never been sent.
   */
  async due(sink: string, limit: number, now = Date.now()): Promise<AlertRow[]> {
    const r = await this.conn.runAndReadAll(`SELECT ${ALERT_SELECT}
      FROM alerts a LEFT JOIN alert_deliveries d ON d.alert_id = a.alert_id AND d.sink = $sink
      WHERE ${PENDING} AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= to_timestamp($now / 1000.0))
        AND NOT EXISTS (SELECT 1 FROM sink_pauses p WHERE p.sink = $sink AND p.paused_until > to_timestamp($now / 1000.0))
      ORDER BY a.time_generated, a.alert_id LIMIT $limit`, { sink, now, limit });
    return r.getRows().map(toAlert);
  }

  /** The sink has the alerts at the versions given (or does not want them: `skipped`). */
  async delivered(sink: string, alerts: readonly AlertRow[], state: 'delivered' | 'skipped' = 'delivered'): Promise<void> {
    await this.upsert(alerts.map((a) => [a.alert_id, sink, state, a.time_generated, 0, null, null]));
  }

  /**
   * A failed attempt: counted, with its error, and retried after `delayMs(attempt)` (the
   * attempt's number, from 1). Returns the highest attempt number of the batch.
   */
  async failed(sink: string, alerts: readonly AlertRow[], error: string, delayMs: (attempt: number) => number, now = Date.now()): Promise<number> {
    const previous = await this.attempts(sink, alerts.map((a) => a.alert_id));
    const attempt = Math.max(...alerts.map((a) => (previous.get(a.alert_id) ?? 0) + 1));
    const next = now + delayMs(attempt);
    await this.upsert(alerts.map((a) => [a.alert_id, sink, 'retrying', null, (previous.get(a.alert_id) ?? 0) + 1, error, next]));
    return attempt;
  }

  /** Nothing goes to `sink` before `untilMs` (its Retry-After): stored, so later runs and replays wait too. */
  async pause(sink: string, untilMs: number): Promise<void> {
    await this.conn.run('INSERT OR REPLACE INTO sink_pauses VALUES ($sink, to_timestamp($until / 1000.0), now())', { sink, until: untilMs });
  }

  /** When `sink`'s pause ends, if it is paused at `now`. */
  async pausedUntil(sink: string, now = Date.now()): Promise<number | undefined> {
    const r = await this.conn.runAndReadAll(
      'SELECT epoch_ms(paused_until)::DOUBLE FROM sink_pauses WHERE sink = $sink AND paused_until > to_timestamp($now / 1000.0)', { sink, now });
    const row = r.getRows()[0];
    return row === undefined ? undefined : Number(row[0]);
  }

  /** Everything pending for any of `sinks`, oldest first. */
  async pending(sinks: readonly string[]): Promise<PendingRow[]> {
    if (sinks.length === 0) return [];
    const r = await this.conn.runAndReadAll(PENDING_SQL, { sinks: sinks.join(',') });
    const time = (v: unknown) => (v === null ? null : new Date(String(v)).getTime());
    return r.getRows().map(([sink, id, severity, detector, title, attempts, error, next, paused]) => ({
      sink: String(sink), alert_id: String(id), severity: String(severity), detector_id: String(detector), title: String(title),
      attempts: Number(attempts), last_error: error === null ? null : String(error), next_attempt_at: time(next), sink_paused_until: time(paused),
    }));
  }

  /**
   * Makes alerts raised or updated since `sinceMs` pending again for `sink` (their rows stay,
   * so the sink stays known to `alerts --pending`). Returns how many.
   */
  async redeliver(sink: string, sinceMs: number): Promise<number> {
    const r = await this.conn.run(`UPDATE alert_deliveries SET state = 'redeliver', delivered_version = NULL, attempts = 0,
        last_error = NULL, next_attempt_at = NULL, updated_at = now()
      WHERE sink = $sink AND alert_id IN (SELECT alert_id FROM alerts WHERE time_generated >= to_timestamp($since / 1000.0))`,
    { sink, since: sinceMs });
    return Number(r.rowsChanged);
  }

  close(): void {
    this.conn.closeSync();
  }

  private async attempts(sink: string, ids: readonly string[]): Promise<Map<string, number>> {
    const r = await this.conn.runAndReadAll(
      `SELECT alert_id, attempts FROM alert_deliveries WHERE sink = $sink AND list_contains(string_split($ids, ','), alert_id)`,
      { sink, ids: ids.join(',') });
    return new Map(r.getRows().map(([id, n]) => [String(id), Number(n)]));
  }

  private async upsert(rows: ReadonlyArray<[string, string, string, number | null, number, string | null, number | null]>): Promise<void> {
    if (rows.length === 0) return;
    await this.conn.run('BEGIN');
    try {
      const stmt = await this.conn.prepare(`INSERT OR REPLACE INTO alert_deliveries VALUES ($1, $2, $3,
        to_timestamp($4 / 1000.0), $5, $6, to_timestamp($7 / 1000.0), now())`);
      for (const row of rows) {
        stmt.bind(row);
        await stmt.run();
      }
      await this.conn.run('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}

function toAlert(r: unknown[]): AlertRow {
  const [id, detector, title, severity, tactics, techniques, generated, first, last, pid, pname, app, ip, resource, count, evidence, description, remediation] = r;
  const text = (v: unknown) => (v === null ? null : String(v));
  return {
    alert_id: String(id), detector_id: String(detector), title: String(title), severity: String(severity) as AlertRow['severity'],
    tactics: JSON.parse(String(tactics)) as string[], techniques: JSON.parse(String(techniques)) as string[],
    time_generated: Number(generated), first_event_time: Number(first), last_event_time: Number(last),
    principal_id: text(pid), principal_name: text(pname), app_id: text(app), caller_ip: text(ip), resource_id: text(resource),
    event_count: Number(count), evidence: JSON.parse(String(evidence)) as Record<string, unknown>,
    description: String(description), remediation: String(remediation),
  };
}
