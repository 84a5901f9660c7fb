/**
 * The batch loop, nothing Azure-specific: source → decode (worker threads) → store the rows,
 * rejects and source position in one transaction → detect on the rows that were new → alerts
 * and detector state in that same transaction. Decoding of the next batches overlaps the commit.
 */
import { rmSync } from 'node:fs';
import type { AlertRow } from './detectors/alert.js';
import type { DecodePool } from './decode/pool.js';
import type { DecodedBatch } from './decode/batch.js';
import type { EventRow, RejectRow } from './schema/event.js';
import type { SourceBatch } from './sources/source.js';
import type { Store } from './store/duckdb.js';

/** The detection engine as the pipeline sees it. */
export interface Detection {
  process(events: EventRow[]): AlertRow[];
  snapshot(): string;
}

export const DETECTOR_STATE = 'detectors';

export interface PipelineOptions {
  pool: DecodePool;
  detection?: Detection;
  /** Detector state is saved with a batch at most this often (and always with the last one). */
  snapshotEveryMs?: number;
  /** Batches decoded ahead of the one being committed. */
  decodeAhead?: number;
  onBatch?: (summary: Summary, batch: SourceBatch) => void;
}

export interface Summary {
  read: number;
  stored: number;
  duplicates: number;
  rejected: number;
  rejectedByReason: Map<string, number>;
  /** Alerts raised or updated, by id (latest version). */
  alerts: Map<string, AlertRow>;
  batches: number;
}

export function emptySummary(): Summary {
  return { read: 0, stored: 0, duplicates: 0, rejected: 0, rejectedByReason: new Map(), alerts: new Map(), batches: 0 };
}

/**
 * Feeds the detectors the events committed after their saved state, so a restart (or a crash
 * between snapshots) resumes detection exactly where the stored events are.
 */
export async function resumeDetection(store: Store, detection: Detection, stateSavedAt: number): Promise<number> {
  let caughtUp = 0;
  const pending: EventRow[] = [];
  for await (const rows of store.eventsAfter(stateSavedAt)) {
    pending.push(...rows);
    caughtUp += rows.length;
  }
  if (pending.length > 0) {
    await store.commitBatch({ stage: null, events: [], rejects: [], checkpoints: [] }, () => ({
      alerts: detection.process(pending),
      state: { name: DETECTOR_STATE, value: detection.snapshot() },
    }));
  }
  return caughtUp;
}

export async function runPipeline(source: AsyncIterable<SourceBatch>, store: Store, options: PipelineOptions): Promise<Summary> {
  const summary = emptySummary();
  const { pool, detection } = options;
  const snapshotEveryMs = options.snapshotEveryMs ?? 30_000;
  const decodeAhead = options.decodeAhead ?? Math.max(2, pool.size * 2);
  let lastSnapshot = Date.now();
  const inflight: { batch: SourceBatch; decoded: Promise<DecodedBatch> }[] = [];

  const commitNext = async (last: boolean) => {
    const { batch, decoded: pending } = inflight.shift()!;
    const decoded = await pending;
    const rejects: RejectRow[] = batch.rejects.length > 0 ? [...batch.rejects, ...decoded.rejects] : decoded.rejects;
    const saveState = last || Date.now() - lastSnapshot >= snapshotEveryMs;
    const result = await store.commitBatch(
      { stage: decoded.stage, events: decoded.events, rejects, checkpoints: batch.checkpoints },
      detection && ((inserted) => ({
        alerts: detection.process(inserted),
        ...(saveState ? { state: { name: DETECTOR_STATE, value: detection.snapshot() } } : {}),
      })),
    );
    if (saveState) lastSnapshot = Date.now();
    summary.batches++;
    summary.read += decoded.records + batch.rejects.length;
    summary.stored += result.inserted;
    summary.duplicates += result.duplicates + decoded.duplicatesInBatch;
    summary.rejected += rejects.length;
    for (const r of rejects) {
      const key = reasonKind(r.reason);
      summary.rejectedByReason.set(key, (summary.rejectedByReason.get(key) ?? 0) + 1);
    }
    for (const a of result.alerts) summary.alerts.set(a.alert_id, a);
    options.onBatch?.(summary, batch);
  };

  try {
    let previous: SourceBatch | null = null;
    for await (const batch of source) {
      if (previous) inflight.push({ batch: previous, decoded: pool.decode(previous.units) });
      previous = batch;
      if (inflight.length >= decodeAhead) await commitNext(false);
    }
    if (previous) inflight.push({ batch: previous, decoded: pool.decode(previous.units) });
    while (inflight.length > 0) await commitNext(inflight.length === 1);
    return summary;
  } finally {
    // On failure, batches decoded but never committed leave no stage files behind.
    for (const { decoded } of inflight.splice(0)) {
      const path = (await decoded.catch(() => null))?.stage?.path;
      if (path) rmSync(path, { force: true });
    }
  }
}

/** `line 12 record 3: invalid JSON: Unexpected token at position 45` → `invalid JSON: Unexpected token at position N`. */
export function reasonKind(reason: string): string {
  return reason
    .replace(/^(line \d+( record \d+)?|offset \d+): /, '')
    .replace(/\d+(\.\d+)?/g, 'N')
    .slice(0, 160);
}
