/**
 * Decodes a batch of units into what the store and the detectors need: the rows written to a
 * stage file (read by DuckDB, so the 1.5 KB raw texts never cross a thread again), the rows
 * without their raw text for the detectors, and the rejects.
 */
import { existsSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { EventRow, RejectRow } from '../schema/event.js';
import { writeStageFile, type StageFile } from '../store/stage.js';
import { decodeUnit, emptyDecoded, type DecodeLimits, type Unit } from './unit.js';

export interface DecodedBatch {
  /** Stage file for the store, or null when no record was accepted. */
  stage: StageFile | null;
  /** The accepted rows the detectors read (see EventFilter), unique by event_id, `raw` emptied. */
  events: EventRow[];
  rejects: RejectRow[];
  /** Records seen, accepted or not. */
  records: number;
  /** Records that repeated another record of the same batch. */
  duplicatesInBatch: number;
}

/** tmpfs when there is one: stage files are written once and read once, never kept. */
function stageDir(): string {
  try {
    if (existsSync('/dev/shm')) { accessSync('/dev/shm', constants.W_OK); return '/dev/shm'; }
  } catch { /* fall through */ }
  return tmpdir();
}

const dir = stageDir();
let sequence = 0;

/**
 * Which accepted rows travel back for detection, by lower-case category: `null` keeps all.
 * Rows the detectors never read are stored but not copied across threads.
 */
export type EventFilter = readonly string[] | null;

export function decodeBatch(units: readonly Unit[], limits: DecodeLimits, keep: EventFilter = null): DecodedBatch {
  const out = emptyDecoded();
  for (const unit of units) decodeUnit(unit, limits, out);
  const seen = new Set<string>();
  const unique: EventRow[] = [];
  for (const row of out.rows) {
    if (seen.has(row.event_id)) continue;
    seen.add(row.event_id);
    unique.push(row);
  }
  let stage: DecodedBatch['stage'] = null;
  if (unique.length > 0) {
    const path = join(dir, `auditlake-${process.pid}-${threadId}-${sequence++}.stage`);
    stage = { path, rows: unique.length, ...writeStageFile(unique, path) };
  }
  const wanted = keep === null ? null : new Set(keep);
  const events = wanted === null ? unique : unique.filter((r) => wanted.has(r.category.toLowerCase()));
  for (const row of events) row.raw = '';
  return { stage, events, rejects: out.rejects, records: out.records, duplicatesInBatch: out.rows.length - unique.length };
}
