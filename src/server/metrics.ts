/**
 * The Prometheus metrics of `auditlake run`, on a registry of their own (never prom-client's
 * global one, so two services in one process — tests — do not collide). The pipeline and the
 * sources call the typed methods; `GET /metrics` serves `text()`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface CommitCounts {
  /** Records read from the source in the batch(es) committed. */
  records: number;
  /** Rows stored (new events). */
  stored: number;
  /** Records already stored (redelivered). */
  duplicates: number;
  /** Records refused into `rejects`. */
  rejected: number;
  /** From the oldest batch leaving its source to the commit returning. */
  latencyMs?: number;
}

export type QueryOutcome = 'ok' | 'truncated' | 'refused' | 'failed' | 'timeout';

export interface MetricsOptions {
  /** Also export Node's process metrics (CPU, RSS, heap, event-loop lag). Default true. */
  processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly recordsIn: Counter;
  private readonly recordsStored: Counter;
  private readonly recordsRejected: Counter;
  private readonly duplicates: Counter;
  private readonly alerts: Counter<'severity'>;
  private readonly batchLatency: Histogram;
  private readonly partitionLag: Gauge<'source' | 'partition'>;
  private readonly lastCommit: Gauge;
  /** What the sources say of themselves, asked at each scrape (set by `run`). */
  private sourceHealth: () => ReadonlyArray<{ source: string; ready: boolean }> = () => [];
  private readonly alertsSuppressed: Counter<'severity'>;
  private readonly queries: Counter<'outcome'>;
  private readonly queryDuration: Histogram;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.recordsIn = new Counter({ name: 'auditlake_records_in_total', help: 'Records read from sources.', registers });
    this.recordsStored = new Counter({ name: 'auditlake_records_stored_total', help: 'Records stored as new events.', registers });
    this.recordsRejected = new Counter({ name: 'auditlake_records_rejected_total', help: 'Records refused into the rejects table.', registers });
    this.duplicates = new Counter({ name: 'auditlake_duplicates_total', help: 'Records already stored (redelivered), skipped.', registers });
    this.alerts = new Counter({ name: 'auditlake_alerts_total', help: 'Alerts raised or updated, by severity.', labelNames: ['severity'], registers });
    this.alertsSuppressed = new Counter({
      name: 'auditlake_alerts_suppressed_total', help: 'Alerts a detectors.exceptions entry kept apart (raised or updated, sent to no sink), by severity.',
      labelNames: ['severity'], registers,
    });
    this.batchLatency = new Histogram({
      name: 'auditlake_batch_latency_seconds',
      help: 'From a batch leaving its source to its commit.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.partitionLag = new Gauge({
      name: 'auditlake_partition_lag',
      help: 'Events behind the end of each source partition, as last reported by the source.',
      labelNames: ['source', 'partition'],
      registers,
    });
    const sourceHealth = () => this.sourceHealth();
    new Gauge({
      name: 'auditlake_source_ready',
      help: 'Whether each configured source consumes now (1) or not (0), as GET /readyz reports it.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset(); // asked afresh at each scrape
        for (const h of sourceHealth()) this.set({ source: h.source }, h.ready ? 1 : 0);
      },
    });
    this.lastCommit = new Gauge({ name: 'auditlake_last_commit_timestamp_seconds', help: 'Unix time of the last committed batch.', registers });
    this.queries = new Counter({ name: 'auditlake_sql_queries_total', help: 'SQL statements received by the server, by outcome.', labelNames: ['outcome'], registers });
    this.queryDuration = new Histogram({
      name: 'auditlake_sql_query_seconds',
      help: 'Time to answer a SQL statement through the server.',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers,
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** One committed batch (or group of batches committed together). */
  recordCommit(c: CommitCounts): void {
    this.recordsIn.inc(c.records);
    this.recordsStored.inc(c.stored);
    this.duplicates.inc(c.duplicates);
    this.recordsRejected.inc(c.rejected);
    if (c.latencyMs !== undefined && Number.isFinite(c.latencyMs)) this.batchLatency.observe(c.latencyMs / 1000);
    this.lastCommit.set(Date.now() / 1000);
  }

  /** Where `auditlake_source_ready` is read from, at each scrape. */
  watchSources(health: () => ReadonlyArray<{ source: string; ready: boolean }>): void {
    this.sourceHealth = health;
  }

  alertRaised(severity: string, count = 1): void {
    this.alerts.inc({ severity }, count);
  }

  /** An exception that suddenly quiets many alerts is worth a look: too broad, or hiding an incident. */
  alertSuppressed(severity: string, count = 1): void {
    this.alertsSuppressed.inc({ severity }, count);
  }

  setLag(source: string, partition: string, lag: number): void {
    this.partitionLag.set({ source, partition }, lag);
  }

  /** Used by the HTTP server for each SQL statement it answers or refuses. */
  queryAnswered(outcome: QueryOutcome, durationMs: number): void {
    this.queries.inc({ outcome });
    this.queryDuration.observe(durationMs / 1000);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
