/**
 * Writes a benchmark input: Event Hubs bodies (`{"records":[...]}`, one per line) of realistic
 * mixed records, varied from the benign days of our labelled scenario (a fictional Azure ML
 * tenant's traffic, in the exact shapes Azure emits) so every record passes the real schemas
 * and the detectors see a tenant's normal mix rather than an alert storm.
 * Deterministic: the same count gives the same bytes.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { fixturesDir } from '../src/paths.js';
import { splitRecords } from '../src/decode/json-splitter.js';
import { normalizeRecord } from '../src/schema/normalize.js';

const RECORDS_PER_BODY = 50;
const BENIGN_DAYS = ['day-1.ndjson', 'day-2.ndjson', 'day-3.ndjson', 'day-4.ndjson', 'day-5.ndjson', 'day-6.ndjson', 'day-7.ndjson'];

/** The scenario's benign records, in time order: the templates the benchmark varies. */
function templates(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const f of BENIGN_DAYS) {
    for (const line of readFileSync(join(fixturesDir, 'scenarios', 'days', f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      for (const e of splitRecords(line).elements) {
        const rec = JSON.parse(e.text) as Record<string, unknown>;
        if (normalizeRecord(rec).ok && typeof rec.time === 'string') out.push(rec);
      }
    }
  }
  return out;
}

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed;
  return () => {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
const guid = (r: () => number) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;

/** `recordsPerBody` only regroups: the same count gives the same records, whatever the body size. */
export async function generate(path: string, count: number, recordsPerBody = RECORDS_PER_BODY): Promise<{ bytes: number; records: number }> {
  const r = rng(42);
  const pool = templates();
  const out = createWriteStream(path);
  const start = Date.UTC(2026, 10, 1);
  let bytes = 0;
  let body: string[] = [];
  for (let i = 0; i < count; i++) {
    const rec = structuredClone(pool[i % pool.length]!) as Record<string, any>;
    // Each copy is a new record: its own time (20 records a second), request id and object.
    rec.time = new Date(start + i * 50 + Math.floor(r() * 1000)).toISOString().replace('Z', '0000Z');
    rec.correlationId = guid(r);
    if (rec.properties && typeof rec.properties === 'object' && typeof rec.properties.objectKey === 'string') {
      rec.properties.objectKey = `${rec.properties.objectKey}.${Math.floor(r() * 10000)}`;
    }
    body.push(JSON.stringify(rec));
    if (body.length === recordsPerBody || i === count - 1) {
      const line = `{"records":[${body.join(',')}]}\n`;
      bytes += Buffer.byteLength(line);
      if (!out.write(line)) await once(out, 'drain');
      body = [];
    }
  }
  out.end();
  await once(out, 'finish');
  return { bytes, records: count };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, n] = process.argv.slice(2);
  const res = await generate(path ?? 'bench/data/records.ndjson', Number(n ?? 1_000_000));
  console.log(JSON.stringify(res));
}
