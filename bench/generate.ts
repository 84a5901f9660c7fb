/**
 * Writes a benchmark input: Event Hubs bodies (`{"records":[...]}`, one per line) of realistic
 * mixed records, varied from our own fixtures (the exact shapes Azure emits) so every record
 * passes the real schemas. Deterministic: the same count gives the same bytes.
 */
import { createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { fixturesDir } from '../src/paths.js';
import { splitRecords } from '../src/decode/json-splitter.js';
import { normalizeRecord } from '../src/schema/normalize.js';

/** Share of each family in a busy ML tenant's diagnostic stream. */
const MIX: [string, number][] = [['storage', 0.5], ['keyvault', 0.25], ['activity', 0.1], ['signin', 0.08], ['aml', 0.04], ['entra', 0.03]];
const RECORDS_PER_BODY = 50;

function templates(family: string): Record<string, unknown>[] {
  const dir = join(fixturesDir, family);
  const out: Record<string, unknown>[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!/\.(json|ndjson)$/.test(f)) continue;
    const text = readFileSync(join(dir, f), 'utf8');
    const units = f.endsWith('.ndjson') ? text.split('\n').filter((l) => l.trim()) : [text];
    for (const u of units) {
      for (const e of splitRecords(u).elements) {
        const rec = JSON.parse(e.text);
        if (normalizeRecord(rec).ok && typeof rec.time === 'string') out.push(rec);
      }
    }
  }
  if (out.length === 0) throw new Error(`no usable ${family} fixtures`);
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

export async function generate(path: string, count: number): Promise<{ bytes: number; records: number }> {
  const r = rng(42);
  const pools = MIX.map(([family, share]) => ({ family, share, templates: templates(family) }));
  const principals = Array.from({ length: 500 }, () => guid(r));
  const out = createWriteStream(path);
  const start = Date.UTC(2026, 10, 1);
  let bytes = 0;
  let body: string[] = [];
  for (let i = 0; i < count; i++) {
    let x = r();
    const pool = pools.find((p) => (x -= p.share) < 0) ?? pools[0]!;
    const rec = structuredClone(pool.templates[i % pool.templates.length]!) as Record<string, any>;
    rec.time = new Date(start + i * 50 + Math.floor(r() * 1000)).toISOString().replace('Z', '0000Z');
    rec.correlationId = guid(r);
    const oid = principals[Math.floor(r() * principals.length)]!;
    if (rec.identity?.claim) rec.identity.claim.oid = oid;
    if (rec.identity?.requester) rec.identity.requester.objectId = oid;
    if (rec.properties && typeof rec.properties === 'object') {
      if (typeof rec.properties.responseBodySize === 'number') rec.properties.responseBodySize = Math.floor(r() * 5_000_000);
      if (typeof rec.properties.objectKey === 'string') rec.properties.objectKey = `/mlstore/training-data/shard-${Math.floor(r() * 10000)}.parquet`;
    }
    body.push(JSON.stringify(rec));
    if (body.length === RECORDS_PER_BODY || i === count - 1) {
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
