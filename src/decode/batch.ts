/**
 * Decodes a batch of units into what the store and the detectors need: the rows written to a
 * stage file (read by DuckDB, so the 1.5 KB raw texts never cross a thread again), the rows
 * without their raw text for the detectors, and the rejects.
 */
import type { EventRow, RejectRow } from '../schema/event.js';
import { stagePath, writeStageFile, type StageFile } from '../store/stage.js';
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
    const path = stagePath('stage');
    stage = { path, rows: unique.length, ...writeStageFile(unique, path) };
  }
  const wanted = keep === null ? null : new Set(keep);
  const events = wanted === null ? unique : unique.filter((r) => wanted.has(r.category.toLowerCase()));
  for (const row of events) row.raw = '';
  return { stage, events, rejects: out.rejects, records: out.records, duplicatesInBatch: out.rows.length - unique.length };
}
