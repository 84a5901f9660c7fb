/** Decode worker: units in, rows and rejects out. Runs on the second core while the main thread appends. */
import { parentPort } from 'node:worker_threads';
import { decodeUnit, emptyDecoded, type DecodeLimits, type Unit } from './unit.js';

export interface DecodeRequest { id: number; units: Unit[]; limits: DecodeLimits }

parentPort?.on('message', (req: DecodeRequest) => {
  const out = emptyDecoded();
  for (const unit of req.units) decodeUnit(unit, req.limits, out);
  parentPort!.postMessage({ id: req.id, decoded: out });
});
