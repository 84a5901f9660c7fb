/**
 * Spreads decoding (redact, split, JSON.parse, validate, normalize, hash, stage) over worker threads,
 * the part of ingest that is pure CPU. With no compiled worker next to this file (running from
 * TypeScript sources in tests) or `workers: 0`, it decodes on the calling thread instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AuditlakeError } from '../errors.js';
import { decodeBatch, type DecodedBatch, type EventFilter } from './batch.js';
import type { DecodeLimits, Unit } from './unit.js';
import type { DecodeRequest } from './worker.js';

interface Pending { resolve: (d: DecodedBatch) => void; reject: (e: Error) => void }

export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private next = 0;

  constructor(private readonly limits: DecodeLimits, workerCount: number, private readonly keep: EventFilter = null) {
    const script = fileURLToPath(new URL('./worker.js', import.meta.url));
    if (workerCount <= 0 || !existsSync(script)) return;
    for (let i = 0; i < workerCount; i++) {
      // A young generation large enough for a batch's short-lived objects keeps them out of the old one.
      const w = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: 64 } });
      w.on('message', (msg: { id: number; decoded?: DecodedBatch; error?: string }) => {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.decoded) p?.resolve(msg.decoded);
        else p?.reject(new AuditlakeError('internal', `decode worker failed: ${msg.error}`));
      });
      w.on('error', (err) => this.failAll(new AuditlakeError('internal', `decode worker failed: ${err.message}`, { cause: err })));
      this.workers.push(w);
    }
  }

  get threaded(): boolean { return this.workers.length > 0; }
  get size(): number { return this.workers.length; }

  decode(units: Unit[]): Promise<DecodedBatch> {
    if (this.workers.length === 0) return Promise.resolve(decodeBatch(units, this.limits, this.keep));
    const id = this.nextId++;
    const worker = this.workers[this.next++ % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: DecodeRequest = { id, units, limits: this.limits, keep: this.keep };
      worker.postMessage(req);
    });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
