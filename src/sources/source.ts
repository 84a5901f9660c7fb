/** What every source hands the pipeline: units to decode, what it refused itself, and where it is. */
import type { TokenCredential } from '@azure/core-auth';
import type { Unit } from '../decode/unit.js';
import type { Logger } from '../service/log.js';
import type { RejectRow } from '../schema/event.js';
import type { Checkpoint } from '../store/duckdb.js';

export interface SourceBatch {
  units: Unit[];
  /** Input the source could not turn into text (non-UTF-8 lines, truncated gzip, oversize lines). */
  rejects: RejectRow[];
  /** Positions to commit with this batch's rows (never before them). */
  checkpoints: Checkpoint[];
  /** Bytes of input consumed so far and in all, when known: for progress lines. */
  progress?: { bytesRead: number; bytesTotal: number; file: string };
  /**
   * Called once the transaction holding this batch has committed, in source order: where a
   * source also keeps its position outside the store (Kafka offsets, blob checkpoints), it
   * moves it here, after the rows, never before.
   */
  ack?: () => Promise<void>;
}

/** What a long-lived source (Event Hubs, Kafka) is given by `auditlake run`. */
export interface SourceContext {
  /** Where batches go; `push` waits while the store is behind (backpressure). */
  push(batch: SourceBatch): Promise<boolean>;
  /** Positions committed with the data, by `checkpoints.source`, then partition. */
  positions: ReadonlyMap<string, ReadonlyMap<string, string>>;
  log: Logger;
  credential: () => TokenCredential;
  /** Events behind the newest in a partition, when the source can tell. */
  reportLag(source: string, partition: string, lag: number): void;
}

export interface RunningSource {
  /** Stops fetching; batches already pushed still commit. Resolves once the source's clients are closed. */
  stop(): Promise<void>;
}
