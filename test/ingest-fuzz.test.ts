/**
 * Seeded fuzzing of the ingest path (decode → schema → store) with variants of real records
 * (test/support/fuzz.ts). For every input: nothing throws, nothing crashes, nothing is
 * dropped silently (records read = stored + duplicates + rejected, and as many records as
 * JSON.parse finds in the input), every reject names a field or the JSON problem, and every
 * stored row has a real time and text DuckDB can hold. The normalizer and the unit decoder are
 * called directly on each variant, then the files go through the pipeline in-process (one
 * replay per file, a real DuckDB file) and through the real CLI as a subprocess.
 *
 * `AUDITLAKE_FUZZ_SEED=<n>` replays another seed; a failure names the seed, the file and the variant.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBatch } from '../src/decode/batch.js';
import { DecodePool } from '../src/decode/pool.js';
import { decodeUnit, DEFAULT_LIMITS, emptyDecoded } from '../src/decode/unit.js';
import { runPipeline } from '../src/pipeline.js';
import type { EventRow } from '../src/schema/event.js';
import { fitsInt64, isStorableTime } from '../src/schema/fields.js';
import { normalizeRecord } from '../src/schema/normalize.js';
import { listInputFiles, readFiles } from '../src/sources/files.js';
import { Store } from '../src/store/duckdb.js';
import { STAGE_DIR } from '../src/store/stage.js';
import { runCli, repoRoot } from './support/cli.js';
import { tempDir } from './support/db.js';
import { expectedInJsonFile, expectedRecords, loadCorpus, loadSamples, mutateBytes, mutateEnvelope, mutateRecord, mutateText, oversizeVariants, Rng, type Variant } from './support/fuzz.js';

const SEED = Number(process.env.AUDITLAKE_FUZZ_SEED ?? 20251114);
const RECORD_VARIANTS = 3000;
const TEXT_VARIANTS = 300;
const ENVELOPE_VARIANTS = 240;
const BYTE_VARIANTS = 160;
/** Samples of Azure's own documentation, when this machine has them: variants of those too. */
const REFERENCE_SAMPLES = '/work/shared/samples/reference';

const tmp = tempDir('auditlake-fuzz-');
// The databases where the store stages its batches (tmpfs when there is one): a replay per
// file is a commit per file, and on a disk their fsyncs were a third of this test's time.
const dbDir = mkdtempSync(join(STAGE_DIR, 'auditlake-fuzz-db-'));
// AUDITLAKE_FUZZ_KEEP=1 keeps the input files and databases for a look at a failure.
afterAll(() => {
  if (process.env.AUDITLAKE_FUZZ_KEEP) console.log(`fuzz files kept in ${tmp.dir} and ${dbDir}`);
  else {
    tmp.cleanup();
    rmSync(dbDir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// The variants

const corpus = loadCorpus(repoRoot);
const rng = new Rng(SEED);
const pickRecord = () => rng.pick(rng.pick(corpus));
const fixtureVariants: Variant[] = [];
for (let i = 0; i < RECORD_VARIANTS; i++) fixtureVariants.push(mutateRecord(rng, pickRecord()));

const textVariants: Variant[] = [];
for (let i = 0; i < TEXT_VARIANTS; i++) {
  const base = rng.chance(0.5) ? JSON.stringify(pickRecord()) : `{"records":[${[0, 1, 2].map(() => JSON.stringify(pickRecord())).join(',')}]}`;
  textVariants.push(mutateText(rng, base));
}
const envelopeVariants: Variant[] = [];
for (let i = 0; i < ENVELOPE_VARIANTS; i++) {
  const n = 1 + rng.int(4);
  envelopeVariants.push(mutateEnvelope(rng, Array.from({ length: n }, () => (rng.chance(0.5) ? rng.pick(fixtureVariants).text : JSON.stringify(pickRecord())))));
}
const byteVariants: Variant[] = [];
for (let i = 0; i < BYTE_VARIANTS; i++) {
  const base = rng.chance(0.6) ? JSON.stringify(pickRecord()) : `{"records":[${JSON.stringify(pickRecord())},${JSON.stringify(pickRecord())}]}`;
  byteVariants.push(mutateBytes(rng, base));
}
const oversize = oversizeVariants(pickRecord());
// Reference samples, last and from a generator of their own: the variants above are the same with or without them.
const samples = loadSamples(REFERENCE_SAMPLES);
const sampleRng = new Rng(SEED ^ 0x5eed);
const recordVariants = [...fixtureVariants, ...Array.from({ length: samples.length * 30 }, () => mutateRecord(sampleRng, sampleRng.pick(samples)))];
const unitVariants = [...recordVariants, ...textVariants, ...envelopeVariants, ...oversize];

// ---------------------------------------------------------------------------------------------
// What every outcome must look like

/** A reject's reason, after its place (`line 3 record 2: `), names the field or the JSON/UTF-8 problem. */
const REASON_SHAPES: readonly RegExp[] = [
  /^invalid JSON: \S/,
  /^invalid .* record: [\w.()-]+: \S/s, // zod issue or a column's range: `invalid AuditEvent record: time: ...`
  /^record: expected a JSON object, got \S/,
  /^record: \S.*: nested too deeply to read$/s,
  /^record of \S+ \S+ exceeds the \S+ \S+ limit$/,
  /^not valid UTF-8/,
  /^truncated or corrupt gzip/,
];

/** Why a reject's reason is not good enough (a class of problem), or null. */
function reasonProblem(reason: unknown): string | null {
  if (typeof reason !== 'string' || reason.trim() === '') return 'empty reason';
  // A reason is read in a terminal (replay's summary, query): input must not write escape sequences there, nor pages.
  if (/[\x00-\x1f\x7f]/.test(reason)) return `reason holds a control character: ${JSON.stringify(reason.slice(0, 60))}`;
  if (reason.length > 1000) return `reason of ${reason.length} characters: ${JSON.stringify(reason.slice(0, 60))}`;
  const what = reason.replace(/^(line \d+( record \d+)?|offset \d+): /, '');
  return REASON_SHAPES.some((re) => re.test(what)) ? null : `reason names no field or JSON problem: ${what.slice(0, 40)}`;
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const RESULTS = new Set(['success', 'failure', 'start', 'accepted', 'unknown']);
const PRINCIPAL_TYPES = new Set(['user', 'servicePrincipal', 'managedIdentity', 'unknown']);
const AUTH_TYPES = new Set(['oauth', 'sas', 'accountkey', 'anonymous', 'kerberos', 'certificate', 'unknown']);

/** What is wrong with a decoded row (a class of problem and the field), or null: times DuckDB can hold, text without lone surrogates, integers that fit. */
function rowProblem(row: EventRow): [string, string] | null {
  if (!/^[0-9a-f]{32}$/.test(row.event_id)) return ['event_id is not 32 hex digits', row.event_id];
  if (typeof row.time !== 'number' || !isStorableTime(row.time)) return ['time the store cannot hold', String(row.time)];
  if (!RESULTS.has(row.result)) return ['unknown result', row.result];
  if (!PRINCIPAL_TYPES.has(row.principal_type)) return ['unknown principal_type', row.principal_type];
  if (row.auth_type !== null && !AUTH_TYPES.has(row.auth_type)) return ['unknown auth_type', row.auth_type];
  for (const [name, v] of Object.entries(row)) {
    if (name === 'details' || name === 'time' || name === 'ingested_at') continue;
    if (name === 'bytes_out' || name === 'bytes_in') {
      if (v !== null && (typeof v !== 'number' || !fitsInt64(v))) return ['a BIGINT column out of range', `${name} ${v}`];
    } else if (v !== null && typeof v !== 'string') return ['a text column not text', `${name} is ${typeof v}`];
    else if (typeof v === 'string' && LONE_SURROGATE.test(v)) return ['a column holds a lone surrogate', name];
  }
  if (row.details === null || typeof row.details !== 'object') return ['details is not an object', String(row.details)];
  for (const [k, v] of Object.entries(row.details)) {
    if (LONE_SURROGATE.test(k) || (typeof v === 'string' && LONE_SURROGATE.test(v))) return ['details holds a lone surrogate', k];
    if (typeof v === 'number' && !Number.isFinite(v)) return ['details holds a number JSON cannot', `${k} ${v}`];
    if (v !== null && typeof v === 'object') return ['details is not flat', k];
  }
  if (row.raw === '') return ['raw is empty', ''];
  if (Buffer.byteLength(row.raw) > DEFAULT_LIMITS.maxRecordBytes) return ['a record over the size limit stored', `${Buffer.byteLength(row.raw)} bytes`];
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.raw);
  } catch (err) {
    return ['raw is not JSON', (err as Error).message];
  }
  if (LONE_SURROGATE.test(row.raw) || holdsLoneSurrogate(parsed)) return ['raw holds a lone surrogate (DuckDB JSON refuses it)', row.raw.slice(0, 80)];
  return null;
}

/** Whether a JSON value holds a lone surrogate in a key or string (false past 2,000 levels: the stack is not the question here). */
function holdsLoneSurrogate(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return LONE_SURROGATE.test(v);
  if (v === null || typeof v !== 'object' || depth > 2000) return false;
  return Object.entries(v).some(([k, x]) => LONE_SURROGATE.test(k) || holdsLoneSurrogate(x, depth + 1));
}

const describeVariant = (v: Variant) => `${v.kind}: ${v.text.length > 240 ? `${v.text.slice(0, 240)}…[${v.text.length} chars]` : v.text}`;

/**
 * Failures of a test, by class, so one frequent defect does not hide the others: each class is
 * reported with its count and two examples (a plain expect would stop at the first).
 */
class Failures {
  private readonly byClass = new Map<string, string[]>();
  add(cls: string, detail: string): void {
    const list = this.byClass.get(cls) ?? [];
    list.push(detail);
    this.byClass.set(cls, list);
  }
  expectNone(): void {
    const report = [...this.byClass].map(([cls, list]) => `${list.length} × ${cls} (seed ${SEED})\n    ${list.slice(0, 2).join('\n    ')}`);
    expect(report, report.join('\n')).toEqual([]);
  }
}

// ---------------------------------------------------------------------------------------------

describe(`ingest fuzz (seed ${SEED}, ${unitVariants.length + byteVariants.length} variants)`, () => {
  it('the normalizer returns fields or a reason naming the field for every record variant, and never throws', () => {
    const failures = new Failures();
    let ok = 0;
    let refused = 0;
    for (const v of recordVariants) {
      let record: unknown;
      try {
        record = JSON.parse(v.text);
      } catch {
        continue; // not JSON: the unit decoder's case, below
      }
      let n;
      try {
        n = normalizeRecord(record);
      } catch (err) {
        // JSON nested deeper than the stack: the unit decoder turns this into a reject (checked below).
        if (err instanceof RangeError && /call stack/i.test(err.message) && v.kind.includes('deep:')) continue;
        failures.add(`normalizeRecord threw ${(err as Error).message}`, describeVariant(v));
        continue;
      }
      if (n.ok) {
        ok++;
        if (!Number.isFinite(n.fields.time)) failures.add('time not a finite number', describeVariant(v));
        if (typeof n.fields.category !== 'string' || typeof n.fields.operation !== 'string') failures.add('category or operation not text', describeVariant(v));
      } else {
        refused++;
        const problem = reasonProblem(n.reason);
        if (problem) failures.add(problem, `${n.reason.slice(0, 200)} ← ${describeVariant(v)}`);
      }
    }
    failures.expectNone();
    // The mutations must leave many records readable, or the fuzzer only tests rejection.
    expect(ok).toBeGreaterThan(recordVariants.length / 3);
    expect(refused).toBeGreaterThan(50);
  });

  it('the unit decoder accounts for every record of every variant, as rows DuckDB can hold or rejects naming the problem', () => {
    const failures = new Failures();
    let rows = 0;
    let rejects = 0;
    for (const v of unitVariants) {
      const out = emptyDecoded();
      try {
        decodeUnit({ text: v.text, source: 'fuzz', where: 'line 1' }, DEFAULT_LIMITS, out);
      } catch (err) {
        failures.add(`decodeUnit threw ${(err as Error).message}`, describeVariant(v));
        continue;
      }
      if (out.records !== out.rows.length + out.rejects.length) failures.add('records != rows + rejects', describeVariant(v));
      const expected = expectedRecords(v.text, v.elements);
      if (expected !== null && out.records !== expected) failures.add('records read differ from what JSON.parse finds', `${out.records} for ${expected}: ${describeVariant(v)}`);
      if (expected === null && out.records < 1) failures.add('not JSON, yet nothing refused', describeVariant(v));
      // JSON objects and arrays are read: redaction (which rewrites the text first) must leave them JSON.
      if (expected !== null && /^\s*[[{]/.test(v.text)) {
        for (const r of out.rejects) if (/^line 1( record \d+)?: invalid JSON/.test(r.reason)) failures.add('valid JSON refused as invalid JSON', `${r.reason.slice(0, 200)} ← ${describeVariant(v)}`);
      }
      for (const row of out.rows) {
        const problem = rowProblem(row);
        if (problem) failures.add(`row: ${problem[0]}`, `${problem[1]} ← ${describeVariant(v)}`);
      }
      for (const r of out.rejects) {
        const problem = reasonProblem(r.reason);
        if (problem) failures.add(problem, `${r.reason.slice(0, 200)} ← ${describeVariant(v)}`);
      }
      rows += out.rows.length;
      rejects += out.rejects.length;
    }
    failures.expectNone();
    expect(rows).toBeGreaterThan(1000);
    expect(rejects).toBeGreaterThan(300);
  });

  describe('through the pipeline into DuckDB', () => {
    const inDir = join(tmp.dir, 'in');
    mkdirSync(inDir);
    /** Per file: the records JSON.parse finds in it, when that is exact, else the least it must report. */
    const expected = new Map<string, { exact: boolean; records: number; what: string }>();
    let fileNo = 0;
    const write = (ext: string, data: string | Buffer, exact: boolean, records: number, what: string, gzipped = ext.endsWith('.gz')) => {
      const path = join(inDir, `${String(fileNo++).padStart(4, '0')}-${what.replace(/[^\w-]+/g, '_').slice(0, 40)}${ext}`);
      writeFileSync(path, gzipped ? gzipSync(data) : data);
      expected.set(path, { exact, records, what });
    };
    /** A line of an NDJSON file: a blank one is skipped, one that is not JSON is (at least) one reject. */
    const lineCount = (v: Variant) => (v.text.trim() === '' ? 0 : expectedRecords(v.text, v.elements) ?? 1);
    const lineExact = (v: Variant) => v.text.trim() === '' || expectedRecords(v.text, v.elements) !== null;
    const valid = (v: Variant) => expectedRecords(v.text) !== null;
    const sum = (vs: Variant[], f: (v: Variant) => number) => vs.reduce((n, v) => n + f(v), 0);

    // Record variants, a quarter each: NDJSON lines; Event Hubs bodies of five a line (CRLF); a
    // pretty-printed .json body (re-serialized before hashing); a .json.gz with a BOM and one
    // record a line (Azure's PT1H.json).
    for (let i = 0; i < recordVariants.length; i += 100) {
      const chunk = recordVariants.slice(i, i + 100);
      const form = (i / 100) % 4;
      if (form === 0) {
        write('.ndjson', chunk.map((v) => v.text).join('\n'), chunk.every(lineExact), sum(chunk, lineCount), 'records');
      } else if (form === 1) {
        const bodies: Variant[] = [];
        for (let k = 0; k < chunk.length; k += 5) bodies.push({ kind: 'body', text: `{"records":[${chunk.slice(k, k + 5).map((v) => v.text).join(',')}]}` });
        write('.ndjson', bodies.map((b) => b.text).join('\r\n'), bodies.every(lineExact), sum(bodies, lineCount), 'bodies');
      } else if (form === 2) {
        const ok = chunk.filter(valid);
        write('.json', `{\n  "records": [\n    ${ok.map((v) => v.text).join(',\n    ')}\n  ]\n}\n`, true, sum(ok, (v) => expectedInJsonFile(v.text)!), 'pretty-body');
      } else {
        const ok = chunk.filter(valid);
        write('.json.gz', `\ufeff${ok.map((v) => v.text).join('\n')}\n`, true, sum(ok, (v) => expectedInJsonFile(v.text)!), 'pt1h');
      }
    }
    write('.ndjson', oversize.map((v) => v.text).join('\n'), true, oversize.length, 'oversize');
    // Broken texts and bodies: all as lines of NDJSON files, and some as .json files of their own.
    const broken = [...textVariants, ...envelopeVariants];
    for (let i = 0; i < broken.length; i += 60) {
      const chunk = broken.slice(i, i + 60);
      write('.ndjson', chunk.map((v) => v.text).join('\n'), chunk.every(lineExact), sum(chunk, lineCount), 'broken-lines');
    }
    for (const v of broken.filter((_, k) => k % 16 === 0)) {
      const n = expectedInJsonFile(v.text, v.elements);
      write('.json', v.text, n !== null, n ?? 1, v.kind);
    }
    // Bytes that are not UTF-8: lines of NDJSON (each such line is one reject), and .json files of their own.
    for (let i = 0; i < byteVariants.length; i += 40) {
      const chunk = byteVariants.slice(i, i + 40);
      write('.ndjson', Buffer.concat(chunk.flatMap((v) => [v.bytes!, Buffer.from('\n')])), true, chunk.length, 'non-utf8-lines');
    }
    for (const [k, v] of byteVariants.entries()) if (k % 12 === 0) write(k % 24 === 0 ? '.json' : '.json.gz', v.bytes!, false, 1, v.kind);
    // Records one a line (PT1H.json), then a value whose JSON breaks: those before it are read, the error is one reject.
    for (const [k, v] of broken.entries()) {
      if (k % 30 !== 0 || expectedRecords(v.text) !== null) continue;
      const before = recordVariants.slice(k, k + 5).filter(valid);
      write('.json', `${before.map((b) => b.text).join('\n')}\n${v.text}\n${recordVariants[k + 5]!.text}\n`, false, sum(before, (b) => expectedInJsonFile(b.text)!) + 1, `then-${v.kind}`);
    }
    // A gzip cut short, and an empty file.
    const gz = gzipSync(recordVariants.slice(0, 50).map((v) => v.text).join('\n'));
    write('.json.gz', gz.subarray(0, Math.floor(gz.length * 0.6)), false, 1, 'truncated-gzip', false);
    write('.json', '', true, 1, 'empty');

    const files = listInputFiles([inDir]);
    const totals = { read: 0, stored: 0, duplicates: 0, rejected: 0 };
    /** Rows the rejects table holds after the in-process replays: a refused input that repeats is kept once. */
    let rejectRows = 0;

    it('stores or refuses every record of every file, one replay per file, and never fails a batch', async () => {
      const store = await Store.open(join(dbDir, 'inproc.duckdb'), { threads: 1 });
      const pool = new DecodePool(DEFAULT_LIMITS, 0);
      const failures = new Failures();
      try {
        for (const file of files) {
          const want = expected.get(file)!;
          let s;
          try {
            s = await runPipeline(readFiles([file]), store, { pool });
          } catch (err) {
            failures.add(`the pipeline failed: ${(err as Error).message.replace(/^.*? failed: /, '').slice(0, 80)}`, `${file} (${want.what})`);
            continue;
          }
          if (s.read !== s.stored + s.duplicates + s.rejected) failures.add('read != stored + duplicates + rejected', `${file}: ${JSON.stringify(s)}`);
          if (want.exact ? s.read !== want.records : s.read < want.records) {
            failures.add('records read differ from what JSON.parse finds', `${file} (${want.what}): read ${s.read} for ${want.exact ? '' : 'at least '}${want.records}`);
          }
          totals.read += s.read;
          totals.stored += s.stored;
          totals.duplicates += s.duplicates;
          totals.rejected += s.rejected;
          const rows = Number((await store.query('SELECT count(*) FROM rejects WHERE source = $source', { source: `file:${file}` })).rows[0]![0]);
          // Fewer rows than rejects only when some were the same refused input (same source, reason and text).
          if (rows !== s.rejected && rows !== await distinctRejects(file)) failures.add('rejects table lost a refusal', `${file}: ${rows} rows for ${s.rejected} rejects`);
          rejectRows += rows;
        }
        failures.expectNone();
        await expectStoreHolds(store, { stored: totals.stored, rejectRows });
      } finally {
        await pool.close();
        store.close();
      }
    });

    it('the real CLI replays them all with the detectors on: exit 0, the same summary, the same tables', async () => {
      const db = join(dbDir, 'cli.duckdb');
      const r = runCli(['replay', '--json', '--quiet', '--db', db, inDir], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout) as { files: number; read: number; stored: number; duplicates: number; rejected: number };
      expect(summary.files).toBe(files.length);
      expect(summary.read).toBe(summary.stored + summary.duplicates + summary.rejected);
      // Worker threads and one replay of everything: the same outcome as file by file in-process.
      expect({ read: summary.read, stored: summary.stored, duplicates: summary.duplicates, rejected: summary.rejected }).toEqual(totals);
      const store = await Store.open(db, { readOnly: true });
      try {
        await expectStoreHolds(store, { stored: summary.stored, rejectRows });
      } finally {
        store.close();
      }
    });
  });
});

/** How many different rejects (source, reason, text) a file's replay makes: what the rejects table keeps of them. */
async function distinctRejects(file: string): Promise<number> {
  const keys = new Set<string>();
  for await (const batch of readFiles([file])) {
    const decoded = decodeBatch(batch.units, DEFAULT_LIMITS);
    if (decoded.stage) rmSync(decoded.stage.path, { force: true });
    for (const r of [...batch.rejects, ...decoded.rejects]) keys.add(JSON.stringify([r.source, r.reason, r.raw]));
  }
  return keys.size;
}

/** The tables hold what the replays said, with times, JSON and reasons that read back. */
async function expectStoreHolds(store: Store, s: { stored: number; rejectRows: number }): Promise<void> {
  const one = async (sql: string) => Number((await store.query(sql)).rows[0]![0]);
  expect(await one('SELECT count(*) FROM events')).toBe(s.stored);
  expect(await one('SELECT count(*) FROM rejects')).toBe(s.rejectRows);
  expect(await one('SELECT count(*) FROM events WHERE time IS NULL OR NOT isfinite(time) OR ingested_at IS NULL')).toBe(0);
  // DuckDB's own JSON reads details and raw (a lone surrogate in either made it refuse a batch).
  expect(await one('SELECT count(*) FROM events WHERE details IS NULL OR NOT json_valid(details) OR raw IS NULL OR NOT json_valid(raw)')).toBe(0);
  expect(await one('SELECT count(*) FROM events WHERE category IS NULL OR operation IS NULL OR result IS NULL OR principal_type IS NULL')).toBe(0);
  // Every row reads back whole, every column converted to JavaScript.
  expect((await store.query('SELECT * FROM events')).rows).toHaveLength(s.stored);
  const failures = new Failures();
  for (const [reason] of (await store.query('SELECT reason FROM rejects')).rows) {
    const problem = reasonProblem(reason);
    if (problem) failures.add(problem, String(reason).slice(0, 300));
  }
  failures.expectNone();
}

