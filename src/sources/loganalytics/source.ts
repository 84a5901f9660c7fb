/**
 * `auditlake backfill` as a source: walks [since, until) in time slices; in each slice asks
 * every table for its rows (halving a table's slice while the answer is too large, and growing
 * it back when answers are small), rebuilds each row into its Event Hubs record shape, and hands
 * the pipeline batches ordered by event time across tables — detectors then learn from history
 * as they would have from the stream. Each (table, range) is recorded as covered in
 * `checkpoints`, in the transaction that stores its rows; a rerun queries only the gaps, and
 * what it queries again (a slice cut short by a crash) is skipped by event_id.
 */
import type { LogsQueryClient } from '@azure/monitor-query-logs';
import { AuditlakeError } from '../../errors.js';
import type { RejectRow } from '../../schema/event.js';
import { rejectRow } from '../../schema/reject.js';
import { redactSecrets } from '../../schema/redact.js';
import type { Unit } from '../../decode/unit.js';
import type { Checkpoint } from '../../store/duckdb.js';
import type { SourceBatch } from '../source.js';
import { answerProblem, CellError, columnName, rowObject, rowText, surplusCells } from './columns.js';
import { nonFinite, recordText } from './numbers.js';
import { querySlice } from './query.js';
import { formatCoverage, mergeRanges, parseCoverage, rangeMs, uncovered, type Range } from './ranges.js';
import { tables, type TableName } from './tables.js';

export interface BackfillOptions {
  client: LogsQueryClient;
  workspace: string;
  tables: readonly TableName[];
  sinceMs: number;
  untilMs: number;
  /** The first slice length; a table's slice halves on a too-large answer, down to minSliceMs. */
  sliceMs: number;
  minSliceMs: number;
  /** Rows asked for per query (under the API's 500,000). */
  maxRows: number;
  /** Ranges ending after this are queried but not recorded as covered: Log Analytics ingests minutes (rarely hours) late. */
  settledBeforeMs: number;
  /** Stored checkpoints (all sources; ours are picked by name). */
  checkpoints: readonly Checkpoint[];
  /** Units per batch handed to the pipeline. */
  batchUnits?: number;
  /** Rows held for time-ordering before they are handed over regardless (bounds memory). */
  maxBufferedRows?: number;
  onSplit?: (table: TableName, range: Range, reason: string) => void;
  onMissingTable?: (table: TableName, reason: string) => void;
  progress?: BackfillProgress;
}

/** Shared with the CLI's progress bar. */
export interface BackfillProgress {
  totalMs: number;
  doneMs: number;
  rows: number;
  queries: number;
  splits: number;
  /** Start of the slice being read. */
  sliceStartMs: number;
}

export const COVERAGE_PARTITION = 'covered';
export const sourceName = (workspace: string, table: string) => `loganalytics:${workspace}/${table}`;

interface Pending { time: number; unit: Unit }

/**
 * A cell the SDK parsed holding Infinity or NaN (`1e400` in a `dynamic` cell, read by JSON.parse)
 * when the answer's text was not at hand to read it again (querySlice): JSON has no way to write
 * it (JSON.stringify makes it `null`) and its digits are gone, so the row is refused naming the
 * column and where in the cell, rather than stored with a null in its place.
 */
function refuseNonFinite(columns: readonly { name?: string }[], cells: readonly unknown[]): void {
  for (let k = 0; k < cells.length; k++) {
    const cell = cells[k];
    if (cell === null || (typeof cell !== 'object' && typeof cell !== 'number') || cell instanceof Date) continue;
    const found = nonFinite(cell);
    if (found !== null) {
      throw new CellError(columnName(columns[k] ?? {}, k), `${found.path ? `${found.path}: ` : ''}a number JSON cannot hold `
        + `(${found.value}: beyond a double's range, its digits gone before auditlake read the cell)`);
    }
  }
}

export async function* backfill(o: BackfillOptions): AsyncGenerator<SourceBatch> {
  const progress = o.progress ?? { totalMs: 0, doneMs: 0, rows: 0, queries: 0, splits: 0, sliceStartMs: o.sinceMs };
  const coverage = new Map<TableName, Range[]>();
  for (const t of o.tables) {
    const name = sourceName(o.workspace, t);
    const cp = o.checkpoints.find((c) => c.source === name && c.partition === COVERAGE_PARTITION);
    coverage.set(t, cp ? parseCoverage(cp.position, name) : []);
  }
  progress.totalMs = o.tables.reduce((n, t) => n + rangeMs(uncovered([o.sinceMs, o.untilMs], coverage.get(t)!)), 0);
  const step = new Map<TableName, number>(o.tables.map((t) => [t, o.sliceMs]));
  const missing = new Set<TableName>();
  const batchUnits = o.batchUnits ?? 2000;
  const maxBuffered = o.maxBufferedRows ?? 200_000;

  let pending: Pending[] = [];
  let rejects: RejectRow[] = [];
  const dirty = new Set<TableName>();

  /** Everything fetched so far, oldest first; the covered ranges go with the last batch, after the rows. */
  function* flush(): Generator<SourceBatch> {
    pending.sort((a, b) => a.time - b.time);
    const checkpoints = [...dirty].map((t) => ({ source: sourceName(o.workspace, t), partition: COVERAGE_PARTITION, position: formatCoverage(coverage.get(t)!) }));
    const units = pending.map((p) => p.unit);
    pending = [];
    dirty.clear();
    if (units.length === 0 && rejects.length === 0 && checkpoints.length === 0) return;
    for (let i = 0; i === 0 || i < units.length; i += batchUnits) {
      const last = i + batchUnits >= units.length;
      yield { units: units.slice(i, i + batchUnits), rejects: i === 0 ? rejects : [], checkpoints: last ? checkpoints : [] };
    }
    rejects = [];
  }

  for (let sliceStart = o.sinceMs; sliceStart < o.untilMs; sliceStart += o.sliceMs) {
    const slice: Range = [sliceStart, Math.min(o.untilMs, sliceStart + o.sliceMs)];
    progress.sliceStartMs = sliceStart;
    for (const table of o.tables) {
      if (missing.has(table)) continue;
      for (const gap of uncovered(slice, coverage.get(table)!)) {
        if (missing.has(table)) break; // found missing in an earlier gap of this slice
        let at = gap[0];
        while (at < gap[1]) {
          const end = Math.min(gap[1], at + step.get(table)!);
          progress.queries++;
          const answer = await querySlice(o.client, { workspace: o.workspace, table, fromMs: at, toMs: end, maxRows: o.maxRows });
          if (answer.kind === 'missing') {
            missing.add(table);
            o.onMissingTable?.(table, answer.reason);
            progress.totalMs -= rangeMs(uncovered([at, o.untilMs], coverage.get(table)!));
            break;
          }
          if (answer.kind === 'split' || answer.truncated) {
            const reason = answer.kind === 'split' ? answer.reason : `more than ${o.maxRows} rows`;
            if (end - at <= o.minSliceMs) {
              // More rows than --max-rows in the smallest slice share an instant or nearly: no
              // smaller slice parts them, only more room does. A partial or too-large answer (bytes,
              // time) is what a smaller slice helps.
              const advice = answer.kind === 'split' ? 'lower --min-slice' : 'raise --max-rows (up to 499,999)';
              throw new AuditlakeError('source_unavailable', `Log Analytics ${table} ${new Date(at).toISOString()}..${new Date(end).toISOString()} `
                + `is still too large in a slice of ${Math.round((end - at) / 1000)} s (${reason}); ${advice}`);
            }
            progress.splits++;
            o.onSplit?.(table, [at, end], reason);
            step.set(table, Math.max(o.minSliceMs, Math.floor((end - at) / 2)));
            continue;
          }
          const rows = answer.table.rows;
          const source = sourceName(o.workspace, table);
          const columns = answer.table.columnDescriptors;
          const unreadable = answerProblem(columns);
          for (let i = 0; i < rows.length; i++) {
            const row = rowObject(columns, rows[i]!);
            const where = `${table} ${new Date(at).toISOString()}..${new Date(end).toISOString()} row ${i + 1}`;
            try {
              if (unreadable) throw unreadable;
              const surplus = surplusCells(columns, rows[i]!);
              if (surplus) throw surplus;
              if (answer.checkNumbers) refuseNonFinite(columns, rows[i]!);
              const record = tables[table](row);
              // recordText: numbers a double cannot hold reach the decoder as written, as in a streamed record.
              pending.push({ time: Date.parse(record.time as string), unit: { text: recordText(record), source, where } });
            } catch (err) {
              if (!(err instanceof CellError)) throw err;
              rejects.push(rejectRow(source, `${where}: ${table} ${err.message}`, redactSecrets(rowText(columns, rows[i]!, row))));
            }
          }
          progress.rows += rows.length;
          progress.doneMs += end - at;
          if (end <= o.settledBeforeMs) {
            coverage.set(table, mergeRanges([...coverage.get(table)!, [at, end]]));
            dirty.add(table);
          }
          // Small answers: try a longer slice next time, up to --slice.
          if (rows.length < o.maxRows / 4) step.set(table, Math.min(o.sliceMs, step.get(table)! * 2));
          at = end;
          if (pending.length >= maxBuffered) yield* flush();
        }
      }
    }
    yield* flush();
  }
}
