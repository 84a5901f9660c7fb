/**
 * Seeded fuzzing of the Log Analytics backfill's row mapping (src/sources/loganalytics/): the
 * recorded rows of all nine tables (fixtures/loganalytics/) with cells nulled, retyped, odd
 * strings (test/support/fuzz.ts's), dynamic cells as invalid JSON or JSON of the wrong type,
 * odd times, and columns missing, extra, named twice or renamed in case (TimeGenerated among
 * them); and, not left to chance, every JSON column of every table holding numbers a double
 * cannot hold as written (1e400, 9007199254740993). Each variant table is served as the wire
 * sends it and as the SDK hands it over (datetime cells as Dates, dynamic cells parsed), through
 * the real `backfill()` source with a stand-in client.
 *
 * For every row: nothing throws; it becomes exactly one unit or one reject, and each unit one
 * stored row or one reject; every reject names the table and a column or field; an answer with
 * no TimeGenerated column, or naming a column twice, refuses every row saying so, and a row with
 * cells past the last column is refused; a stored row's
 * record holds what its JSON, number and true/false cells held (numbers as written, too); stored
 * rows have times the store holds, no lone surrogates, and JSON DuckDB reads (a real DuckDB file,
 * through the real pipeline). Then a few hundred mutated rows through the CLI and the real
 * LogsQueryClient against the local peer, counted.
 *
 * `AUDITLAKE_FUZZ_SEED=<n>` replays another seed; `AUDITLAKE_FUZZ_REASONS=1` prints the rejects' reasons by count.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LogsQueryResultStatus, type LogsQueryClient, type LogsTable } from '@azure/monitor-query-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { DecodePool } from '../src/decode/pool.js';
import { decodeUnit, DEFAULT_LIMITS, emptyDecoded } from '../src/decode/unit.js';
import { runPipeline } from '../src/pipeline.js';
import type { EventRow, RejectRow } from '../src/schema/event.js';
import { isStorableTime, parseTime } from '../src/schema/fields.js';
import { changedByParse } from '../src/sources/loganalytics/numbers.js';
import { backfill } from '../src/sources/loganalytics/source.js';
import { TABLE_NAMES, type TableName } from '../src/sources/loganalytics/tables.js';
import type { SourceBatch } from '../src/sources/source.js';
import { Store } from '../src/store/duckdb.js';
import { STAGE_DIR } from '../src/store/stage.js';
import { runCliAsync } from './support/cli.js';
import { queryJsonAsync, tempDir, writeFile } from './support/db.js';
import { LONG_STRINGS, ODD_NUMBERS, ODD_STRINGS, ODD_TIMES, Rng, SECRET_STRINGS, type Json } from './support/fuzz.js';
import { startLogAnalyticsPeer, type RecordedTable } from './support/log-analytics-peer.js';

const SEED = Number(process.env.AUDITLAKE_FUZZ_SEED ?? 20251114);
const TABLE_VARIANTS = 360;
const WORKSPACE = 'ws-fuzz';
const SINCE = Date.UTC(2000, 0, 1);
const UNTIL = Date.UTC(2100, 0, 1);

const tmp = tempDir('auditlake-backfill-fuzz-');
const dbDir = mkdtempSync(join(STAGE_DIR, 'auditlake-backfill-fuzz-db-'));
afterAll(() => {
  tmp.cleanup();
  rmSync(dbDir, { recursive: true, force: true });
});

const recorded = (table: TableName) => (JSON.parse(readFileSync(`fixtures/loganalytics/${table}.json`, 'utf8')) as { tables: RecordedTable[] }).tables[0]!;
const FIXTURES = new Map(TABLE_NAMES.map((t) => [t, recorded(t)]));

// ---------------------------------------------------------------------------------------------
// Mutations

type Column = { name: string; type: string };
interface TableVariant { table: TableName; columns: Column[]; rows: unknown[][]; kinds: string[][]; tableKind: string }

const rng = new Rng(SEED);

/** A string made odd (ODD/SECRET/LONG strings of the ingest fuzzer), replacing or around the original. */
function oddString(original: string): string {
  const odd = rng.chance(0.01) ? rng.pick(LONG_STRINGS) : rng.chance(0.15) ? rng.pick(SECRET_STRINGS) : rng.pick(ODD_STRINGS);
  switch (rng.int(3)) {
    case 0: return odd;
    case 1: return original + odd;
    default: return odd + original;
  }
}

/** JSON text that is not JSON, or JSON of a type the column does not hold. */
function oddDynamic(original: unknown): Json {
  const text = typeof original === 'string' ? original : JSON.stringify(original ?? {});
  return rng.pick<() => Json>([
    () => text.slice(0, Math.max(1, rng.int(text.length))), // cut short
    () => `${text}}`,
    () => `{${text}`,
    () => '{"a":1,}',
    () => "{'a': 'b'}",
    () => '[1,2',
    () => `{"x":"\u0001\u001b[2J${rng.pick(ODD_STRINGS)}`, // invalid, quoting control characters in V8's message
    () => `{"password":"hunter2","x":${'\u0000'}}`,
    () => '[]',
    () => `[${text}]`,
    () => '[{"a":1},2,"x",null]',
    () => '7',
    () => '-1e400',
    () => '{"n":1e400,"m":[-1e400,1e-400],"big":9007199254740993,"s":"1e400"}', // numbers a double cannot hold as written
    () => `[${text},12345678901234567890]`,
    () => ({ n: 1e400, a: [-1e400] }), // already parsed (Infinity): their digits are gone
    () => 'true',
    () => 'null',
    () => '"plain"',
    () => JSON.stringify(text), // a JSON string holding the JSON
    () => JSON.stringify(JSON.stringify(text)),
    () => '{}',
    () => '{"__proto__":{"x":1},"toString":1}',
    () => `{"a":"\\ud800","\\udc00":1}`,
    () => `{"deep":${'['.repeat(200)}${']'.repeat(200)}}`,
    () => 7,
    () => [1, 'x'],
    () => ({ a: { b: [null] } }),
  ])();
}

function otherType(v: unknown): Json {
  const candidates: Json[] = typeof v === 'string'
    ? [Number(v) || 7, true, false, 0, -1, 1e300, [v], { value: v }]
    : typeof v === 'number' ? [String(v), `${v} `, 'abc', true, { v }, [v]]
      : typeof v === 'boolean' ? [String(v), v ? 'True' : 'FALSE', v ? 1 : 0, 'yes']
        : ['x', 0, true, {}, []];
  return rng.pick(candidates);
}

function mutateCell(column: Column, v: unknown): [unknown, string] {
  const dynamicLike = column.type === 'dynamic' || (typeof v === 'string' && /^\s*[[{]/.test(v));
  const r = rng.int(dynamicLike ? 8 : 6);
  if (column.type === 'datetime' && rng.chance(0.6)) return [rng.pick(ODD_TIMES), 'odd-time'];
  switch (r) {
    case 0: return [null, 'null'];
    case 1: return ['', 'empty'];
    case 2: return [otherType(v), 'retype'];
    case 3: return [rng.pick(ODD_NUMBERS), 'odd-number'];
    case 4: case 5: return [oddString(typeof v === 'string' ? v : String(v ?? '')), 'odd-string'];
    default: return [oddDynamic(v), 'odd-dynamic'];
  }
}

function caseVariant(s: string): string {
  switch (rng.int(4)) {
    case 0: return s.toUpperCase();
    case 1: return s.toLowerCase();
    case 2: return `${s} `;
    default: return [...s].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
  }
}

const EXTRA_COLUMNS: Column[] = [
  { name: 'Custom_CF', type: 'string' }, { name: 'extra_d', type: 'real' }, { name: 'blob_s', type: 'string' }, { name: 'x_b', type: 'bool' },
  { name: 'identity_claim_weird_s', type: 'string' }, { name: '__proto__', type: 'dynamic' }, { name: 'constructor', type: 'string' },
  { name: 'toString', type: 'string' }, { name: 'properties_a_b_s', type: 'string' }, { name: 'Dyn', type: 'dynamic' },
  { name: '', type: 'string' }, { name: 'TimeGenerated', type: 'datetime' }, { name: 'a__b_s', type: 'string' },
];

/** Columns changed for the whole table (they are the answer's, shared by every row): none, most often. */
function mutateColumns(columns: Column[], rows: unknown[][]): [Column[], unknown[][], string] {
  if (rng.chance(0.55)) return [columns, rows, 'columns-as-recorded'];
  const cols = columns.map((c) => ({ ...c }));
  let cells = rows.map((r) => [...r]);
  const i = rng.int(cols.length);
  switch (rng.int(6)) {
    case 0: { // missing, TimeGenerated half the time
      const at = rng.chance(0.5) ? Math.max(0, cols.findIndex((c) => c.name === 'TimeGenerated')) : i;
      const [gone] = cols.splice(at, 1);
      cells = cells.map((r) => r.filter((_, k) => k !== at));
      return [cols, cells, `missing-column:${gone!.name}`];
    }
    case 1: { // renamed in case
      const at = rng.chance(0.4) ? Math.max(0, cols.findIndex((c) => c.name === 'TimeGenerated')) : i;
      const before = cols[at]!.name;
      cols[at]!.name = caseVariant(before);
      return [cols, cells, `renamed-column:${before}->${cols[at]!.name}`];
    }
    case 2: { // extra
      const extra = rng.pick(EXTRA_COLUMNS);
      cols.push(extra);
      cells = cells.map((r) => [...r, extra.type === 'dynamic' ? oddDynamic({ a: 1 }) : rng.pick<unknown>(['v', 3, true, null, rng.pick(ODD_STRINGS)])]);
      return [cols, cells, `extra-column:${extra.name}`];
    }
    case 3: { // retyped: a datetime column as string or a dynamic one as string (the SDK then leaves it text)
      const at = cols.findIndex((c) => c.type === 'datetime' || c.type === 'dynamic');
      const target = at >= 0 && rng.chance(0.7) ? at : i;
      const before = cols[target]!.type;
      cols[target]!.type = rng.pick(['string', 'dynamic', 'datetime', 'long', 'bool'].filter((t) => t !== before));
      return [cols, cells, `retyped-column:${cols[target]!.name}:${before}->${cols[target]!.type}`];
    }
    case 4: // rows with fewer cells than columns
      return [cols, cells.map((r) => r.slice(0, rng.int(r.length))), 'short-rows'];
    default: // rows with more cells than columns
      return [cols, cells.map((r) => [...r, 'surplus', 1]), 'long-rows'];
  }
}

function mutateTable(table: TableName): TableVariant {
  const fixture = FIXTURES.get(table)!;
  const [columns, baseRows, tableKind] = mutateColumns(fixture.columns, fixture.rows);
  const rows: unknown[][] = [];
  const kinds: string[][] = [];
  for (const base of baseRows) {
    const cells = [...base];
    const kind: string[] = [];
    const n = rng.chance(0.15) ? 0 : rng.chance(0.6) ? 1 : rng.chance(0.6) ? 2 : 4;
    for (let k = 0; k < n && cells.length > 0; k++) {
      const at = rng.chance(0.1) ? Math.max(0, columns.findIndex((c) => c.name === 'TimeGenerated')) : rng.int(Math.min(cells.length, columns.length) || 1);
      const column = columns[at] ?? { name: `column${at}`, type: 'string' };
      const [value, what] = mutateCell(column, cells[at]);
      cells[at] = value;
      kind.push(`${what}:${column.name}`);
    }
    rows.push(cells);
    kinds.push(kind);
  }
  return { table, columns, rows, kinds, tableKind };
}

/** What `LogsQueryClient` hands over: datetime cells as Dates (Invalid Date when unparseable), dynamic cells JSON-parsed when they parse. */
function asSdk(columns: Column[], rows: unknown[][]): unknown[][] {
  return rows.map((r) => r.map((cell, i) => {
    const type = columns[i]?.type;
    if (cell == null || typeof cell !== 'string') return cell;
    if (type === 'datetime') return new Date(cell);
    if (type === 'dynamic') {
      try {
        return JSON.parse(cell);
      } catch {
        return cell;
      }
    }
    return cell;
  }));
}

const variants: TableVariant[] = [];
for (let i = 0; i < TABLE_VARIANTS; i++) variants.push(mutateTable(TABLE_NAMES[i % TABLE_NAMES.length]!));

/** A stand-in for LogsQueryClient: each query of `table` answers the variant's rows (whatever their times). */
function clientFor(answers: Map<string, LogsTable>): LogsQueryClient {
  return {
    queryWorkspace: async (_ws: string, kql: string) => {
      const table = answers.get(kql.split('\n')[0]!.trim());
      return table
        ? { status: LogsQueryResultStatus.Success, tables: [table] }
        : { status: LogsQueryResultStatus.Success, tables: [{ name: 'PrimaryResult', columnDescriptors: [], rows: [] }] };
    },
  } as unknown as LogsQueryClient;
}

function sourceOf(v: TableVariant, sdk: boolean) {
  const rows = sdk ? asSdk(v.columns, v.rows) : v.rows;
  const table = { name: 'PrimaryResult', columnDescriptors: v.columns, rows } as unknown as LogsTable;
  return backfill({
    client: clientFor(new Map([[v.table, table]])), workspace: WORKSPACE, tables: [v.table], sinceMs: SINCE, untilMs: UNTIL,
    sliceMs: UNTIL - SINCE, minSliceMs: 60_000, maxRows: 10_000, settledBeforeMs: UNTIL, checkpoints: [],
  });
}

// ---------------------------------------------------------------------------------------------
// What every outcome must look like

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]/;

/** A reject's reason names the table and a column (the mapper's) or a field (the normalizer's), printable and short. */
function reasonProblem(table: string, reason: string): string | null {
  if (UNPRINTABLE.test(reason)) return 'reason holds a control character';
  if (LONE_SURROGATE.test(reason)) return 'reason holds a lone surrogate';
  if (reason.length > 1000) return 'reason over 1000 characters';
  if (/hunter2|s3cr3t/.test(reason)) return 'reason holds a secret';
  if (!reason.startsWith(`${table} `)) return 'reason does not start with the table';
  const what = reason.replace(/^\S+ \S+ row \d+: /, '');
  if (new RegExp(`^${table} column \\S+: \\S`).test(what)) return null;
  if (/^invalid .* record: [\w.()-]+: \S/s.test(what)) return null;
  if (/^record: \S.*: nested too deeply to read$/s.test(what)) return null;
  if (/^record of \S+ \S+ exceeds the \S+ \S+ limit$/.test(what)) return null;
  return 'reason names no column or field';
}

function rowProblem(row: EventRow): string | null {
  if (!isStorableTime(row.time)) return `time the store cannot hold: ${row.time}`;
  for (const [name, v] of Object.entries(row)) {
    if (typeof v === 'string' && LONE_SURROGATE.test(v)) return `${name} holds a lone surrogate`;
  }
  for (const [k, v] of Object.entries(row.details)) {
    if (LONE_SURROGATE.test(k) || (typeof v === 'string' && LONE_SURROGATE.test(v))) return `details.${k} holds a lone surrogate`;
  }
  try {
    JSON.parse(row.raw);
  } catch {
    return 'raw is not JSON';
  }
  return null;
}

class Failures {
  private readonly byClass = new Map<string, string[]>();
  add(cls: string, detail: string): void {
    const list = this.byClass.get(cls) ?? [];
    list.push(detail.length > 400 ? `${detail.slice(0, 400)}…` : detail);
    this.byClass.set(cls, list);
  }
  expectNone(): void {
    const report = [...this.byClass].map(([cls, list]) => `${list.length} × ${cls} (seed ${SEED})\n    ${list.slice(0, 3).join('\n    ')}`);
    expect(report, report.join('\n')).toEqual([]);
  }
}

/** Deep equality of JSON values, own keys in any order. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Whether `value` is in `tree`: as a node, or (an object) as entries of one (a mapper that spreads the cell's keys). */
function holds(tree: unknown, value: unknown, depth = 0): boolean {
  if (same(tree, value)) return true;
  if (tree === null || typeof tree !== 'object' || depth > 64) return false;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !Array.isArray(tree)
    && Object.keys(value).every((k) => Object.hasOwn(tree, k) && same((tree as Record<string, unknown>)[k], (value as Record<string, unknown>)[k]))) return true;
  return Object.values(tree).some((v) => holds(v, value, depth + 1));
}

/** JSON text parsed (trimmed as String.trim does, as the mapper reads it), else as it is. */
const parsed = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v.trim());
  } catch {
    return v;
  }
};

/**
 * The dynamic columns each table's mapper reads (the recorded ones), and the string columns the
 * recording holds JSON in (SigninLogs' AuthenticationDetails, the non-interactive tables' Status):
 * a stored row's record holds what they held.
 */
const DYNAMIC = new Map(TABLE_NAMES.map((t) => {
  const f = FIXTURES.get(t)!;
  const json = (k: number) => f.rows.some((r) => typeof r[k] === 'string' && /^\s*[[{]/.test(r[k] as string) && typeof parsed(r[k]) === 'object');
  return [t, new Set(f.columns.filter((c, k) => c.type === 'dynamic' || json(k)).map((c) => c.name))];
}));

/** The number and true/false columns of each table (all read by its mapper). */
const TYPED = new Map(TABLE_NAMES.map((t) => [t, new Set(FIXTURES.get(t)!.columns.filter((c) => ['int', 'long', 'real', 'bool'].includes(c.type)).map((c) => c.name))]));

/** Numbers a double cannot hold as written, in JSON: kept as written (wire text), or refused naming the column (already parsed, Infinity). */
const AT_RISK_NUMBERS = '{"n":1e400,"m":[-1e400,1e-400],"big":9007199254740993,"s":"1e400","ok":0.5}';
// Not left to chance: every JSON column of every table once holds them, in every row.
for (const table of TABLE_NAMES) {
  const fixture = FIXTURES.get(table)!;
  for (const name of DYNAMIC.get(table)!) {
    const at = fixture.columns.findIndex((c) => c.name === name);
    const rows = fixture.rows.map((r) => r.map((cell, k) => (k === at ? AT_RISK_NUMBERS : cell)));
    variants.push({ table, columns: fixture.columns, rows, kinds: rows.map(() => [`at-risk-numbers:${name}`]), tableKind: 'columns-as-recorded' });
  }
}
const totalRows = variants.reduce((n, v) => n + v.rows.length, 0);

const describeRow = (v: TableVariant, i: number) => `${v.table} [${v.tableKind}] row ${i + 1} [${v.kinds[i]?.join(', ')}]`;

async function collect(gen: AsyncGenerator<SourceBatch>): Promise<SourceBatch[]> {
  const out: SourceBatch[] = [];
  for await (const b of gen) out.push(b);
  return out;
}

// ---------------------------------------------------------------------------------------------

describe(`backfill row mapping fuzz (seed ${SEED}, ${variants.length} tables, ${totalRows} rows, wire and SDK cells)`, () => {
  for (const sdk of [false, true]) {
    it(`${sdk ? 'SDK' : 'wire'} cells: every row is one stored row or one reject naming the table and a column or field; nothing throws`, async () => {
      const failures = new Failures();
      let stored = 0;
      let refused = 0;
      const kinds = new Map<string, number>();
      for (const v of variants) {
        let batches: SourceBatch[];
        try {
          batches = await collect(sourceOf(v, sdk));
        } catch (err) {
          failures.add(`backfill threw: ${(err as Error).message.slice(0, 80)}`, `${v.table} [${v.tableKind}] ${v.kinds.map((k) => k.join(',')).join(' | ')}`);
          continue;
        }
        const units = batches.flatMap((b) => b.units);
        const cells = sdk ? asSdk(v.columns, v.rows) : v.rows;
        const timeAt = v.columns.map((c) => c.name).indexOf('TimeGenerated');
        const rejects: RejectRow[] = batches.flatMap((b) => b.rejects);
        if (units.length + rejects.length !== v.rows.length) failures.add('rows != units + rejects', `${v.table}: ${v.rows.length} rows, ${units.length} units, ${rejects.length} rejects`);
        for (const r of rejects) {
          const p = reasonProblem(v.table, r.reason);
          const n = Number(/ row (\d+):/.exec(r.reason)?.[1] ?? 0) - 1;
          if (p) failures.add(`mapper reject: ${p}`, `${JSON.stringify(r.reason.slice(0, 200))} ← ${describeRow(v, n)}`);
          if (LONE_SURROGATE.test(r.raw)) failures.add('mapper reject: raw holds a lone surrogate', describeRow(v, n));
          if (/hunter2|s3cr3t/.test(r.raw)) failures.add('mapper reject: raw holds a secret', describeRow(v, n));
          if (r.source !== `loganalytics:${WORKSPACE}/${v.table}`) failures.add('mapper reject: wrong source', r.source);
        }
        // A column named twice: every row refused naming it (before, the last cell silently won).
        const names = v.columns.map((c) => c.name);
        const twice = names.find((c, k) => names.indexOf(c) !== k);
        if (twice !== undefined) {
          if (units.length > 0) failures.add('a row stored from an answer naming a column twice', `${units.length} rows ← ${v.table} [${v.tableKind}]`);
          for (const r of rejects) if (!r.reason.includes(`column ${twice}: named twice in the answer`)) failures.add('a column named twice: the reason does not name it', `${JSON.stringify(r.reason.slice(0, 200))} ← ${v.table} [${v.tableKind}]`);
        } else if (!names.includes('TimeGenerated')) {
          // No TimeGenerated column (gone, or named in another case): every row refused, saying what the answer has instead.
          const alike = names.filter((c) => c.trim().toLowerCase() === 'timegenerated');
          const want = alike.length > 0 ? `column TimeGenerated: missing, no column of that name; found ${JSON.stringify(alike[0])}` : 'column TimeGenerated: missing, no column of that name; every row needs its time';
          if (units.length > 0) failures.add('a row stored from an answer with no TimeGenerated column', `${units.length} rows ← ${v.table} [${v.tableKind}]`);
          for (const r of rejects) if (!r.reason.includes(want)) failures.add('no TimeGenerated: the reason does not say what was found', `${JSON.stringify(r.reason.slice(0, 200))} ← ${v.table} [${v.tableKind}]`);
        }
        // Cells past the last column: the row refused saying so (before, stored without them).
        if (twice === undefined && names.includes('TimeGenerated')) {
          for (const unit of units) {
            const n = Number(/ row (\d+)$/.exec(unit.where)?.[1] ?? 0) - 1;
            if (v.rows[n]!.length > v.columns.length) failures.add('a row stored without its cells past the last column', describeRow(v, n));
          }
          for (const r of rejects) {
            const n = Number(/ row (\d+):/.exec(r.reason)?.[1] ?? 0) - 1;
            if (v.rows[n]!.length > v.columns.length && !r.reason.includes(`column #${v.columns.length + 1}: a cell past the answer's`)) failures.add('cells past the last column: the reason does not say so', `${JSON.stringify(r.reason.slice(0, 200))} ← ${describeRow(v, n)}`);
          }
        }
        refused += rejects.length;
        for (const unit of units) {
          const out = emptyDecoded();
          const n = Number(/ row (\d+)$/.exec(unit.where)?.[1] ?? 0) - 1;
          // No dynamic cell dropped unseen: a row stored holds what its dynamic columns held (or it is refused, naming one).
          const record = JSON.parse(unit.text) as unknown;
          v.columns.forEach((c, k) => {
            const cell = cells[n]?.[k];
            if (!DYNAMIC.get(v.table)!.has(c.name) || v.columns.map((x) => x.name).lastIndexOf(c.name) !== k || cell === null || cell === undefined || cell === '') return;
            // AzureActivity's Authorization, Claims, Properties: read only when their dynamic twin (`_d`) is empty.
            const twin = v.columns.map((x) => x.name).lastIndexOf(`${c.name}_d`);
            if (twin >= 0 && cells[n]?.[twin] != null && cells[n]?.[twin] !== '') return;
            // Compared as JSON.parse reads both: a `1e400` is Infinity in the cell and in the record (before, null in the record).
            if (![cell, parsed(cell), parsed(parsed(cell))].some((x) => holds(record, x))) {
              failures.add(`a ${v.table} ${c.name} cell is not in its record`, `${JSON.stringify(cell).slice(0, 120)} ← ${describeRow(v, n)}`);
            }
            // And as text: a number a double cannot hold as written (1e400, 9007199254740993) reaches the record text as written.
            for (const t of typeof cell === 'string' ? cell.match(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g) ?? [] : []) {
              if (changedByParse(t) && !unit.text.includes(t)) failures.add(`a number in a ${v.table} ${c.name} cell is not in its record text as written`, `${t} ← ${describeRow(v, n)}`);
            }
          });
          // No number or true/false cell dropped unseen either: one of another type is in the record as it is (as a streamed record keeps it in raw).
          v.columns.forEach((c, k) => {
            const cell = cells[n]?.[k];
            if (!TYPED.get(v.table)!.has(c.name) || v.columns.map((x) => x.name).lastIndexOf(c.name) !== k || cell === null || cell === undefined || cell === '') return;
            const read = [cell, typeof cell === 'string' ? Number(cell) : cell, typeof cell === 'string' ? cell.toLowerCase() === 'true' : cell, cell instanceof Date ? cell.toISOString() : cell];
            if (!read.some((x) => holds(record, x))) failures.add(`a ${v.table} ${c.name} cell is not in its record`, `${JSON.stringify(cell).slice(0, 120)} ← ${describeRow(v, n)}`);
          });
          try {
            decodeUnit(unit, DEFAULT_LIMITS, out);
          } catch (err) {
            failures.add(`decodeUnit threw: ${(err as Error).message.slice(0, 80)}`, describeRow(v, n));
            continue;
          }
          if (out.rows.length + out.rejects.length !== 1) failures.add('a unit is not one row or one reject', `${out.rows.length} rows, ${out.rejects.length} rejects ← ${describeRow(v, n)}`);
          // numbers.ts keeps a number a double cannot hold as a marker string until the record is written: never past that.
          for (const r of [...out.rows, ...out.rejects]) if (JSON.stringify(r).includes('auditlake-number-')) failures.add('a number marker reached a row or reject', describeRow(v, n));
          for (const row of out.rows) {
            const p = rowProblem(row);
            if (p) failures.add(`row: ${p.replace(/:.*/, '')}`, `${p} ← ${describeRow(v, n)}`);
            // The time stored is the row's TimeGenerated, read as a record's time is (or the SDK's Date).
            const cell = cells[n]?.[timeAt];
            const want = cell instanceof Date ? cell.getTime() : parseTime(cell);
            if (row.time !== want) failures.add('row: time is not the TimeGenerated cell\'s', `${new Date(row.time).toISOString()} for ${JSON.stringify(cell)} ← ${describeRow(v, n)}`);
          }
          for (const r of out.rejects) {
            const p = reasonProblem(v.table, r.reason);
            if (p) failures.add(`record reject: ${p}`, `${JSON.stringify(r.reason.slice(0, 200))} ← ${describeRow(v, n)}`);
          }
          stored += out.rows.length;
          refused += out.rejects.length;
          for (const r of [...rejects, ...out.rejects]) { const k = r.reason.replace(/^\S+ \S+ row \d+: /, '').slice(0, 70); kinds.set(k, (kinds.get(k) ?? 0) + 1); }
        }
      }
      if (process.env.AUDITLAKE_FUZZ_REASONS) console.log(JSON.stringify([...kinds].sort((a, b) => b[1] - a[1]), null, 0));
      failures.expectNone();
      // The mutations must leave many rows readable, or the fuzzer only tests rejection.
      expect(stored).toBeGreaterThan(totalRows / 3);
      expect(refused).toBeGreaterThan(50);
    });
  }

  it('through the real pipeline into DuckDB: read = stored + duplicates + rejected, and what is stored reads back', async () => {
    const store = await Store.open(join(dbDir, 'inproc.duckdb'), { threads: 1 });
    const pool = new DecodePool(DEFAULT_LIMITS, 0);
    const totals = { read: 0, stored: 0, duplicates: 0, rejected: 0 };
    try {
      // A third of the variants, SDK cells (the CLI's path); each its own replay, so a failed batch names its variant.
      for (const v of variants.filter((_, i) => i % 3 === 0)) {
        let s;
        try {
          s = await runPipeline(sourceOf(v, true), store, { pool });
        } catch (err) {
          throw new Error(`the pipeline failed on ${v.table} [${v.tableKind}] ${v.kinds.map((k) => k.join(',')).join(' | ')}: ${(err as Error).message}`);
        }
        expect(s.read, `${v.table} [${v.tableKind}]`).toBe(v.rows.length);
        expect(s.read).toBe(s.stored + s.duplicates + s.rejected);
        totals.read += s.read;
        totals.stored += s.stored;
        totals.duplicates += s.duplicates;
        totals.rejected += s.rejected;
      }
      const one = async (sql: string) => Number((await store.query(sql)).rows[0]![0]);
      expect(await one('SELECT count(*) FROM events')).toBe(totals.stored);
      expect(totals.stored + totals.duplicates).toBeGreaterThan(totals.read / 3);
      expect(await one('SELECT count(*) FROM events WHERE time IS NULL OR NOT isfinite(time)')).toBe(0);
      expect(await one('SELECT count(*) FROM events WHERE NOT json_valid(details) OR NOT json_valid(raw)')).toBe(0);
      expect(await one("SELECT count(*) FROM events e WHERE CAST(e AS VARCHAR) LIKE '%auditlake-number-%'")).toBe(0);
      expect(await one("SELECT count(*) FROM rejects r WHERE CAST(r AS VARCHAR) LIKE '%auditlake-number-%'")).toBe(0);
      expect((await store.query('SELECT * FROM events')).rows).toHaveLength(totals.stored);
      // Rejects are kept once per (source, reason, text): never more than refused.
      const rejectRows = await one("SELECT count(*) FROM rejects WHERE source LIKE 'loganalytics:%'");
      expect(rejectRows).toBeGreaterThan(0);
      expect(rejectRows).toBeLessThanOrEqual(totals.rejected);
    } finally {
      await pool.close();
      store.close();
    }
  });

  it('a few hundred mutated rows through the CLI and the real LogsQueryClient against the peer: every row counted', async () => {
    // Rows whose TimeGenerated is a time inside the range reach the client (the peer filters by it, as the service does).
    const picked = variants.filter((v) => v.columns.some((c) => c.name === 'TimeGenerated' && c.type === 'datetime'));
    const byTable = new Map<TableName, RecordedTable>();
    for (const v of picked) {
      const at = v.columns.findIndex((c) => c.name === 'TimeGenerated');
      const fixture = FIXTURES.get(v.table)!;
      if (v.columns.length !== fixture.columns.length || v.columns.some((c, k) => c.name !== fixture.columns[k]!.name || c.type !== fixture.columns[k]!.type)) continue;
      const t = byTable.get(v.table) ?? { columns: fixture.columns, rows: [] };
      for (const r of v.rows) if (typeof r[at] === 'string' && /^2025-11-1\dT/.test(r[at] as string) && !Number.isNaN(Date.parse(r[at] as string))) t.rows.push(r);
      byTable.set(v.table, t);
    }
    const rows = [...byTable.values()].reduce((n, t) => n + t.rows.length, 0);
    expect(rows).toBeGreaterThan(200);
    const peer = await startLogAnalyticsPeer({ workspaces: { [WORKSPACE]: Object.fromEntries(byTable) } });
    try {
      const config = writeFile(tmp.dir, 'auditlake.yaml', [
        'azure:',
        `  credential: { kind: clientSecret, tenantId: contoso.example, clientId: 11111111-2222-3333-4444-555555555555, clientSecret: '\${AZURE_CLIENT_SECRET}', authorityHost: '${peer.url}' }`,
        '',
      ].join('\n'));
      const db = join(dbDir, 'cli.duckdb');
      const r = await runCliAsync(['backfill', '--db', db, '--config', config, '--endpoint', peer.endpoint, '--workspace', WORKSPACE, '--json', '--workers', '0',
        '--no-detect', '--since', '2025-11-10T00:00:00Z', '--until', '2025-11-20T00:00:00Z', '--slice', '10d'],
      { env: { NODE_EXTRA_CA_CERTS: peer.caFile, AZURE_CLIENT_SECRET: 'peer-secret' } });
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout) as { rows: number; stored: number; duplicates: number; rejected: number };
      expect(s.rows).toBe(rows);
      expect(s.stored + s.duplicates + s.rejected).toBe(rows);
      expect(s.stored).toBeGreaterThan(0);
      expect(await queryJsonAsync(db, 'SELECT count(*) AS n FROM events')).toEqual([{ n: s.stored }]);
      const reasons = await queryJsonAsync(db, 'SELECT reason FROM rejects');
      for (const { reason } of reasons) {
        const table = String(reason).split(' ')[0]!;
        expect([reason, reasonProblem(table, String(reason))]).toEqual([reason, null]);
      }
    } finally {
      await peer.close();
    }
  });
});
