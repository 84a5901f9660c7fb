/**
 * `sinks.sentinel`: alerts as rows of the custom table `AuditLakeAlerts_CL` in a Sentinel-enabled
 * Log Analytics workspace, through the Logs Ingestion API (data collection endpoint + DCR +
 * stream; `deploy/sentinel.json` creates all three and prints this sink's config). An NRT
 * analytic rule (`deploy/analytic-rule.json`) turns the rows into Sentinel — and so Defender —
 * incidents, one per `AlertId`.
 *
 * ```yaml
 * sinks:
 *   sentinel:
 *     - endpoint: https://auditlake-dce-abcd.westeurope-1.ingest.monitor.azure.com
 *       ruleId: dcr-00112233445566778899aabbccddeeff
 *       streamName: Custom-AuditLakeAlerts_CL        # the default
 * ```
 *
 * The identity (`azure.credential`, managed identity by default) needs *Monitoring Metrics
 * Publisher* on the DCR.
 *
 * Sizes. The service takes at most 1 MB per call (compressed and uncompressed) and keeps 64 KB
 * per field; Log Analytics itself keeps 32 KB per field. So each field's JSON text is cut to
 * 32 KB (an alert with huge evidence is truncated, never rejected: an oversize `Evidence` becomes
 * a smaller object that still parses, keeps the first event ids and says `truncated: true`), and
 * rows go out in requests whose uncompressed JSON stays under 1,000,000 bytes. The SDK would
 * split too, but it counts only the rows, not the commas between them; splitting here makes the
 * bound exact and lets a failed request stop the rest of the batch.
 *
 * Retries. The SDK's own retries are off (`maxRetries: 0`, one attempt per request): the outbox
 * retries the whole batch with backoff and jitter, durably, and honours `Retry-After` — the SDK
 * would instead sleep out a 429's `Retry-After` inside `send` (holding the delivery loop and
 * shutdown) and multiply attempts with the outbox's. With one attempt the 429/503 response
 * reaches us whole, so its `Retry-After` (or `retry-after-ms`) becomes `SinkError.retryAfterMs`.
 * Re-sent rows carry the same `AlertId`; the analytic rule groups them into one incident.
 */
import {
  isAggregateLogsUploadError,
  KnownMonitorAudience,
  LogsIngestionClient,
  type LogsIngestionClientOptions,
} from '@azure/monitor-ingestion';
import type { AlertRow, Severity } from '../detectors/alert.js';
import type { SentinelSinkConfig } from './sentinel-config.js';
import { atLeast, retryAfterMs, SinkError, type Sink, type SinkContext } from './sink.js';

/** The columns of `AuditLakeAlerts_CL`, as the table, the DCR stream, the rule and the sink name them. */
export const SENTINEL_COLUMNS = [
  { name: 'TimeGenerated', type: 'datetime' }, // when the alert was raised or last updated
  { name: 'AlertId', type: 'string' }, // stable across updates and re-deliveries: the incident key
  { name: 'DetectorId', type: 'string' },
  { name: 'AlertName', type: 'string' },
  { name: 'Severity', type: 'string' }, // Informational | Low | Medium | High
  { name: 'Tactics', type: 'dynamic' }, // ["CredentialAccess", ...] as Sentinel spells tactics
  { name: 'Techniques', type: 'dynamic' }, // ["T1555.006", ...]
  { name: 'StartTime', type: 'datetime' },
  { name: 'EndTime', type: 'datetime' },
  { name: 'AccountObjectId', type: 'string' },
  { name: 'AccountUPN', type: 'string' }, // only when the principal's name is a UPN
  { name: 'AccountName', type: 'string' }, // the principal's name as the logs gave it
  { name: 'AccountAppId', type: 'string' },
  { name: 'IPAddress', type: 'string' },
  { name: 'AzureResourceId', type: 'string' },
  { name: 'SubscriptionId', type: 'string' },
  { name: 'EventCount', type: 'int' },
  { name: 'Description', type: 'string' },
  { name: 'Remediation', type: 'string' },
  { name: 'Evidence', type: 'dynamic' },
] as const satisfies ReadonlyArray<{ name: string; type: 'string' | 'datetime' | 'int' | 'dynamic' }>;

export type SentinelColumn = (typeof SENTINEL_COLUMNS)[number]['name'];
/** A row as sent; columns without a value are left out (Log Analytics stores them empty). */
export type SentinelRow = Partial<Record<SentinelColumn, string | number | string[] | Record<string, unknown>>>;

/** Per field, measured as its JSON text (bounds both what is stored and what travels). */
export const MAX_FIELD_BYTES = 32 * 1024;
/** Per request, the uncompressed JSON array. */
export const MAX_REQUEST_BYTES = 1_000_000;

const SEVERITY: Record<Severity, string> = { informational: 'Informational', low: 'Low', medium: 'Medium', high: 'High' };
const UPN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const SUBSCRIPTION = /^\/subscriptions\/([0-9a-f-]{36})(?:\/|$)/i;

/** ATT&CK's 'Credential Access' → Sentinel's 'CredentialAccess' ('Command and Control' → 'CommandAndControl'). */
export function sentinelTactic(name: string): string {
  return name.split(/[\s-]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/** The table row for an alert, every field within MAX_FIELD_BYTES; `truncated` names the fields that were cut. */
export function sentinelRow(alert: AlertRow): { row: SentinelRow; truncated: SentinelColumn[] } {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const full: SentinelRow = {
    TimeGenerated: iso(alert.time_generated),
    AlertId: alert.alert_id,
    DetectorId: alert.detector_id,
    AlertName: alert.title,
    Severity: SEVERITY[alert.severity],
    Tactics: alert.tactics.map(sentinelTactic),
    Techniques: [...alert.techniques],
    StartTime: iso(alert.first_event_time),
    EndTime: iso(alert.last_event_time),
    AccountObjectId: alert.principal_id ?? undefined,
    AccountUPN: alert.principal_name && UPN.test(alert.principal_name) ? alert.principal_name : undefined,
    AccountName: alert.principal_name ?? undefined,
    AccountAppId: alert.app_id ?? undefined,
    IPAddress: alert.caller_ip ?? undefined,
    AzureResourceId: alert.resource_id ?? undefined,
    SubscriptionId: SUBSCRIPTION.exec(alert.resource_id ?? '')?.[1]?.toLowerCase(),
    EventCount: alert.event_count,
    Description: alert.description,
    Remediation: alert.remediation,
    Evidence: alert.evidence,
  };
  const row: SentinelRow = {};
  const truncated: SentinelColumn[] = [];
  for (const { name } of SENTINEL_COLUMNS) {
    const value = full[name];
    if (value === undefined || value === '') continue;
    const fitted = fitField(value, MAX_FIELD_BYTES);
    if (fitted !== value) truncated.push(name);
    row[name] = fitted;
  }
  return { row, truncated };
}

/** Test-only: `tlsOptions` and the like, for the LogsIngestionClient. */
export type SentinelClientOptions = LogsIngestionClientOptions;

export function createSentinelSink(config: SentinelSinkConfig, ctx: SinkContext, clientOptions: SentinelClientOptions = {}): Sink {
  const { host, hostname } = new URL(config.endpoint);
  const where = `${ctx.name} (${host}, ${config.ruleId}/${config.streamName})`;
  let client: LogsIngestionClient | undefined;
  const getClient = (): LogsIngestionClient =>
    (client ??= new LogsIngestionClient(config.endpoint, ctx.credential(), {
      audience: audienceFor(hostname),
      userAgentOptions: { userAgentPrefix: 'auditlake' },
      ...clientOptions,
      // One attempt per request: the outbox owns retries and Retry-After (header comment).
      retryOptions: { ...clientOptions.retryOptions, maxRetries: 0 },
    }));

  return {
    name: ctx.name,
    maxBatch: config.maxBatch,
    accepts: atLeast(config.minSeverity),
    async send(alerts, signal) {
      if (alerts.length === 0) return;
      const rows: Record<string, unknown>[] = [];
      for (const alert of alerts) {
        const { row, truncated } = sentinelRow(alert);
        if (truncated.length > 0) ctx.log.warn({ sink: ctx.name, alertId: alert.alert_id, fields: truncated }, 'Alert fields over 32 KB truncated for Sentinel.');
        rows.push(row);
      }
      const requests = splitRows(rows, MAX_REQUEST_BYTES);
      const timeout = AbortSignal.timeout(config.timeoutSeconds * 1000);
      const abortSignal = AbortSignal.any([signal, timeout]);
      let sent = 0;
      for (const chunk of requests) {
        try {
          await getClient().upload(config.ruleId, config.streamName, chunk, { abortSignal, maxConcurrency: 1 });
        } catch (err) {
          const progress = `${sent} of ${rows.length} alerts sent`;
          if (timeout.aborted) throw new SinkError(`${where}: no answer within ${config.timeoutSeconds} s (${progress})`, { cause: innerError(err) });
          if (signal.aborted) throw new SinkError(`${where}: upload aborted (${progress})`, { cause: innerError(err) });
          throw uploadError(err, where, progress);
        }
        sent += chunk.length;
      }
      ctx.log.debug({ sink: ctx.name, alerts: rows.length, requests: requests.length }, 'Alerts uploaded to Logs Ingestion.');
    },
  };
}

/** Sovereign clouds take tokens for their own audience; the endpoint's host says which cloud. */
function audienceFor(hostname: string): string {
  if (hostname.endsWith('.azure.us')) return KnownMonitorAudience.AzureGovernment;
  if (hostname.endsWith('.azure.cn')) return KnownMonitorAudience.AzureChina;
  return KnownMonitorAudience.AzurePublicCloud;
}

/** Rows in order, in groups whose JSON array (brackets and commas included) stays within maxBytes. */
export function splitRows<T>(rows: readonly T[], maxBytes: number): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let size = 2; // []
  for (const row of rows) {
    const bytes = Buffer.byteLength(JSON.stringify(row));
    if (group.length > 0 && size + 1 + bytes > maxBytes) { // a row over the limit goes alone, never dropped
      groups.push(group);
      group = [];
      size = 2;
    }
    size += (group.length > 0 ? 1 : 0) + bytes;
    group.push(row);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

// ---------------------------------------------------------------------------------------------
// Errors: the status, the service's own words, a hint; never a token (the SDK keeps request
// headers out of enumerable properties, and only the inner error is kept as the cause — not the
// aggregate, which holds the rows).

function innerError(err: unknown): unknown {
  return isAggregateLogsUploadError(err) ? (err.errors[0]?.cause ?? err) : err;
}

/** The pipeline's RestError (duck-typed: core-rest-pipeline is not a direct dependency). */
interface RestErrorLike extends Error {
  statusCode?: number;
  code?: string;
  response?: { headers: { get(name: string): string | undefined } };
}

function isRestError(err: unknown): err is RestErrorLike {
  return err instanceof Error && err.name === 'RestError';
}

const HINTS: Record<number, string> = {
  400: 'the rows do not match the DCR stream declaration (deploy/sentinel.json)',
  401: 'the token was refused',
  403: "the identity needs 'Monitoring Metrics Publisher' on the DCR",
  404: 'no such DCR immutable id or stream at this endpoint',
  413: 'request too large',
};

function uploadError(err: unknown, where: string, progress: string): SinkError {
  const inner = innerError(err);
  if (isRestError(inner) && inner.statusCode !== undefined) {
    const status = inner.statusCode;
    const headers = inner.response?.headers;
    const wait = status === 429 || status === 503
      ? (headerMs(headers?.get('retry-after-ms')) ?? headerMs(headers?.get('x-ms-retry-after-ms')) ?? retryAfterMs(headers?.get('retry-after')))
      : undefined;
    const code = inner.code ? ` ${inner.code}` : '';
    const hint = HINTS[status] ? ` (${HINTS[status]})` : '';
    return new SinkError(`${where}: Logs Ingestion answered HTTP ${status}${code}${hint}: ${oneLine(inner.message)} (${progress})`, {
      cause: inner,
      retryAfterMs: wait,
    });
  }
  const name = inner instanceof Error ? inner.name : '';
  const message = inner instanceof Error ? inner.message : String(inner);
  const what = /Credential|Authentication/.test(name) ? 'could not get a token for Azure Monitor' : 'could not reach the endpoint';
  return new SinkError(`${where}: ${what}: ${oneLine(message)} (${progress})`, { cause: inner });
}

function headerMs(value: string | undefined): number | undefined {
  const ms = value ? Number(value) : NaN;
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 500);
}

// ---------------------------------------------------------------------------------------------
// Fitting fields into MAX_FIELD_BYTES of JSON.

const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? 'null');

function fitField<T>(value: T, maxBytes: number): T {
  if (jsonBytes(value) <= maxBytes) return value;
  if (typeof value === 'string') return fitString(value, maxBytes) as T;
  if (Array.isArray(value)) return fitArray(value, maxBytes) as T;
  if (value !== null && typeof value === 'object') return fitEvidence(value as Record<string, unknown>, maxBytes) as T;
  return value;
}

/** The longest prefix (whole code points) whose JSON text, with a note of the cut, fits. */
function fitString(s: string, maxBytes: number): string {
  if (jsonBytes(s) <= maxBytes) return s;
  const note = ` …[truncated by auditlake: ${Buffer.byteLength(s)} bytes]`;
  const budget = maxBytes - jsonBytes(note); // jsonBytes(note) counts the 2 quotes once
  let used = 0;
  let end = 0;
  for (const ch of s) {
    const bytes = jsonBytes(ch) - 2;
    if (used + bytes > budget) break;
    used += bytes;
    end += ch.length;
  }
  return s.slice(0, end) + note;
}

/** The first elements that fit (each fitted itself first). */
function fitArray(values: readonly unknown[], maxBytes: number): unknown[] {
  const out: unknown[] = [];
  let size = 2;
  for (const v of values) {
    const bytes = jsonBytes(v) + (out.length > 0 ? 1 : 0);
    if (size + bytes > maxBytes) break;
    out.push(v);
    size += bytes;
  }
  return out;
}

/**
 * An oversize evidence object → one that fits and still parses: `truncated: true`, the original
 * size, `event_ids` first, then the other keys smallest first (counts and baselines are small,
 * lists are what grow), each whole if it fits, else lists and strings shortened; what could not
 * be kept is named in `truncation`.
 */
function fitEvidence(evidence: Record<string, unknown>, maxBytes: number): Record<string, unknown> {
  const original = jsonBytes(evidence);
  const reserve = 1024; // the `truncation` summary added at the end
  const out: Record<string, unknown> = { truncated: true };
  const shortened: Record<string, number> = {};
  const omitted: string[] = [];
  let size = jsonBytes(out);
  const entries = Object.entries(evidence)
    .filter(([k]) => k !== 'truncated' && k !== 'truncation')
    .map(([k, v]) => ({ k, v, bytes: jsonBytes(v) }))
    .sort((a, b) => (a.k === 'event_ids' ? -1 : b.k === 'event_ids' ? 1 : a.bytes - b.bytes));
  for (const { k, v, bytes } of entries) {
    const keyBytes = jsonBytes(k) + 2; // "k": and the comma
    const room = maxBytes - reserve - size - keyBytes;
    let kept: unknown;
    if (bytes <= room) kept = v;
    else if (Array.isArray(v) && room > 2) kept = fitArray(v, room);
    else if (typeof v === 'string' && room > 64) kept = fitString(v, room);
    if (kept === undefined) {
      omitted.push(k);
      continue;
    }
    if (kept !== v) shortened[k] = Array.isArray(v) ? v.length : Buffer.byteLength(v as string);
    out[k] = kept;
    size += keyBytes + jsonBytes(kept);
  }
  const truncation: Record<string, unknown> = { original_bytes: original };
  if (Object.keys(shortened).length > 0) truncation.shortened = shortened; // original lengths (items, or bytes of a string)
  if (omitted.length > 0) truncation.omitted = omitted;
  out.truncation = truncation;
  if (jsonBytes(out) > maxBytes) {
    // Pathological key names; the summary alone still says what happened.
    return { truncated: true, truncation: { original_bytes: original, omitted: Object.keys(evidence).slice(0, 20) } };
  }
  return out;
}
