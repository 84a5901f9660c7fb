/**
 * `auditlake run` as a value: opens the store, resumes detection, starts the sources and the
 * HTTP server, and runs the batch loop until stopped. Stopping is ordered so that nothing
 * pushed is lost or read twice: the queue refuses new batches (never acknowledged, so delivered
 * again next time), the queued ones commit with their positions and are acknowledged to their
 * sources while these still run, then the sources stop, and only then do the server and store
 * close. A failed commit ends the loop at once (the process exits non-zero rather than skip data).
 */
import type { TokenCredential } from '@azure/core-auth';
import type { Config } from '../config.js';
import { DecodePool } from '../decode/pool.js';
import { DEFAULT_LIMITS } from '../decode/unit.js';
import { detectionCategories, detectionSetup, openDetection } from '../detect.js';
import { errorMessage } from '../errors.js';
import { runPipeline, type CommitTiming } from '../pipeline.js';
import type { SourceBatch, SourceContext } from '../sources/source.js';
import { startSources, type StartedSources } from '../sources/index.js';
import { Store } from '../store/duckdb.js';
import { stagingDirFor } from '../archive/destination.js';
import { archivePolicy, startArchiveLoop, type ArchiveLoop } from './archive-loop.js';
import { BatchQueue } from './batch-queue.js';
import type { Logger } from './log.js';
import { startLiveServer, type LiveServer } from './live-server.js';
import { Metrics } from '../server/metrics.js';
import type { Readiness } from '../server/http.js';
import { startDeliveryLoop, type DeliveryLoop } from '../sinks/delivery.js';
import { buildSinks, deliveryOptions } from '../sinks/index.js';

export interface ServiceOptions {
  config: Config;
  db: string;
  log: Logger;
  credential: () => TokenCredential;
  workers: number;
}

export interface Service {
  /** Settles when the batch loop ends: after `stop()`, or on a failure of the store. */
  readonly done: Promise<void>;
  stop(reason: string): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const { config, db, log } = options;
  // Two DuckDB threads: one for the batch loop's commits, one for analysts' queries through the server.
  const store = await Store.open(db, { threads: 2 });
  const setup = await detectionSetup(config.detectors);
  const { detectors } = setup;
  const pool = new DecodePool({ maxRecordBytes: config.replay.maxRecordBytes ?? DEFAULT_LIMITS.maxRecordBytes }, options.workers, detectionCategories(detectors));
  const metrics = new Metrics();
  let ready = false;
  let server: LiveServer | undefined;
  let running: StartedSources | undefined;
  let delivery: DeliveryLoop | undefined;
  let archive: ArchiveLoop | undefined;
  const outbox = await store.outbox();
  const queue = new BatchQueue(config.service.queueBatches);
  try {
    const detection = await openDetection(store, setup);
    log.info({ db, detectors: detectors.length }, 'Store open, detection resumed.');
    const sinks = await buildSinks(config.sinks, { credential: options.credential, log });
    if (sinks.length > 0) delivery = startDeliveryLoop(outbox, sinks, { ...deliveryOptions(config.delivery), pollMs: config.delivery.pollSeconds * 1000 }, log);
    // Ready while the service runs and every source consumes; /readyz names those that do not.
    const isReady = (): Readiness => {
      if (!ready || !running) return { ready: false, reason: 'the service is starting or stopping' };
      const failing = running.health().filter((h) => !h.ready);
      return failing.length === 0 ? { ready: true } : { ready: false, sources: Object.fromEntries(failing.map((h) => [h.source, h.ready ? '' : h.reason])) };
    };
    const policy = await archivePolicy(config);
    // Before the server restricts DuckDB's file access: exports stay writable.
    if (policy?.destination) store.exportDirs = [stagingDirFor(db)];
    if (config.server.enabled) server = await startLiveServer({ config: config.server, db, store, metrics, isReady, log });

    // Kept current as batches commit (below), not just read at start: a source comparing its
    // own positions with the stored ones later (Kafka, on each rebalance) must see what has
    // committed since, or it resumes a partition from an older offset and reads it again.
    const positions = groupPositions(await store.checkpoints());
    const ctx: SourceContext = {
      push: (batch) => queue.push(recordingPositions(batch, positions)),
      positions,
      log,
      credential: options.credential,
      reportLag: (source, partition, lag) => metrics.setLag(source, partition, lag),
    };
    const pipeline = runPipeline(queue, store, {
      pool,
      detection,
      collectAlerts: false,
      // Small look-ahead: a stream wants each batch's alerts soon more than bulk throughput.
      decodeAhead: 4,
      onCommit: (t: CommitTiming) => {
        metrics.recordCommit({ records: t.records, stored: t.rows, duplicates: t.duplicates, rejected: t.rejected, latencyMs: t.sourceToCommitMs });
        for (const a of t.alerts) metrics.alertRaised(a.severity);
        for (const a of t.suppressed) metrics.alertSuppressed(a.severity);
        if (t.alerts.length > 0) delivery?.wake();
        if (t.records > 0) log.info({ records: t.records, stored: t.rows, duplicates: t.duplicates, rejected: t.rejected, alerts: t.alerts.length, ...(t.suppressed.length > 0 ? { suppressedAlerts: t.suppressed.length } : {}), ms: Math.round(t.sourceToCommitMs) }, 'Batch committed.');
      },
    });
    running = startSources(config.sources, ctx);
    metrics.watchSources(() => running?.health() ?? []);
    if (policy) archive = startArchiveLoop(store, config, policy, log);
    ready = true;
    log.info({ server: server?.url }, 'Service started; sources connecting.');

    let stopping: Promise<void> | undefined;
    const done = pipeline.then(() => undefined);
    // The queued batches get most of the shutdown timeout to commit; the sources then close
    // within what is left (kafkajs can take its fetch wait, sources.kafka's maxWaitTimeSeconds), before run's timer exits.
    const timeoutMs = config.service.shutdownTimeoutSeconds * 1000;
    const drainMs = Math.max(timeoutMs / 2, timeoutMs - 10_000);
    const stop = (reason: string) => (stopping ??= (async () => {
      ready = false;
      log.info({ reason }, 'Stopping: finishing the batches in hand.');
      // Drain first, sources second. A batch's ack moves the position a source keeps outside
      // the store (the Kafka group offset, the blob checkpoint), and only a source still
      // running can: kafkajs refuses or skips commitOffsets once disconnected, and the Event
      // Hubs processor forgets the partitions it released. Stopped the other way round, every
      // queued batch would be delivered again, to this instance or another sharing the group.
      // New pushes are refused from here (not acknowledged, so delivered again next time).
      queue.end();
      const drained = await Promise.race([done.then(() => true, () => true), sleep(drainMs).then(() => false)]);
      if (!drained) log.warn({ drainSeconds: drainMs / 1000 }, 'Queued batches still committing; stopping the sources anyway. Their positions commit with their rows; the sources may deliver them again.');
      await running?.stop();
      await done.catch(() => undefined);
      await close();
      log.info({}, 'Stopped.');
    })());
    const close = async () => {
      await archive?.stop();
      await delivery?.stop();
      outbox.close();
      await server?.close();
      await pool.close();
      store.close();
    };
    // A store failure ends the loop on its own: stop the sources so the process can exit non-zero.
    done.catch((err: unknown) => {
      log.error({ err }, 'Batch loop failed; stopping.');
      void stop(`store failure: ${errorMessage(err)}`);
    });
    return { done, stop };
  } catch (err) {
    queue.end();
    await running?.stop();
    await archive?.stop();
    await delivery?.stop();
    outbox.close();
    await server?.close();
    await pool.close();
    store.close();
    throw err;
  }
}

/** The batch, its ack first recording its positions as committed (the ack runs after the commit). */
function recordingPositions(batch: SourceBatch, positions: Map<string, Map<string, string>>): SourceBatch {
  const { ack } = batch;
  batch.ack = async () => {
    for (const c of batch.checkpoints) {
      let m = positions.get(c.source);
      if (!m) positions.set(c.source, (m = new Map()));
      m.set(c.partition, c.position);
    }
    await ack?.();
  };
  return batch;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

function groupPositions(rows: Array<{ source: string; partition: string; position: string }>): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const r of rows) {
    let m = out.get(r.source);
    if (!m) out.set(r.source, (m = new Map()));
    m.set(r.partition, r.position);
  }
  return out;
}
