/** Decode worker: units in, a stage file and slim rows out. Runs on the spare core while the main thread stores. */
import { parentPort } from 'node:worker_threads';
import { decodeBatch, type EventFilter } from './batch.js';
import type { DecodeLimits, Unit } from './unit.js';

export interface DecodeRequest { id: number; units: Unit[]; limits: DecodeLimits; keep: EventFilter }

parentPort?.on('message', (req: DecodeRequest) => {
  try {
    parentPort!.postMessage({ id: req.id, decoded: decodeBatch(req.units, req.limits, req.keep) });
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) });
  }
});
