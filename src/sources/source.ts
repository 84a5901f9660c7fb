/** What every source hands the pipeline: units to decode, what it refused itself, and where it is. */
import type { Unit } from '../decode/unit.js';
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
}
