/**
 * What turns a `POST /sql` answer's JSON values back into the values a local query gives, so
 * every format prints the same: times become Dates again, and integers too large for a JSON
 * number BigInts.
 *
 * A text repeated down a column (an operation, a resource id, a caller's name) is kept once:
 * the rows a client collects are its largest use of memory. On principal-timeline's 101,504
 * rows the client's peak RSS fell 162–165 → 127–130 MB; the round trip was within noise to 5 %
 * faster (bench/RESULTS.md notes). A column whose first rows barely repeat (ids, times,
 * summaries) is left alone from then on: looking its values up would cost without saving.
 */
import type { QueryResult } from '../store/duckdb.js';

/** Rows a column is watched for before it is kept or let go. */
const SAMPLE_ROWS = 256;
/** Repeats among them that keep it: half. */
const KEPT_REPEATS = SAMPLE_ROWS / 2;

/**
 * The reviver for an answer's columns. It changes each row in place (the row is just parsed and
 * no one else's) rather than copying it: collecting garbage is the client's largest cost.
 */
export function answerReviver(columns: QueryResult['columns']): (row: unknown[]) => unknown[] {
  const times = columns.flatMap((c, i) => (/^(TIMESTAMP|DATE$)/.test(c.type) ? [i] : []));
  const ints = columns.flatMap((c, i) => (/^U?(BIGINT|HUGEINT)$/.test(c.type) ? [i] : []));
  let texts = columns.flatMap((c, i) => (c.type === 'VARCHAR' ? [{ column: i, seen: new Map<string, string>(), repeats: 0 }] : []));
  let rows = 0;
  return (row) => {
    for (const text of texts) {
      const v = row[text.column];
      if (typeof v !== 'string') continue;
      const kept = text.seen.get(v);
      if (kept === undefined) text.seen.set(v, v);
      else {
        row[text.column] = kept;
        text.repeats++;
      }
    }
    if (++rows === SAMPLE_ROWS) texts = texts.filter((t) => t.repeats >= KEPT_REPEATS);
    for (const i of times) {
      const v = row[i];
      if (typeof v !== 'string') continue;
      const d = new Date(v);
      if (!Number.isNaN(d.getTime())) row[i] = d;
    }
    for (const i of ints) {
      const v = row[i];
      if (typeof v === 'string' && /^-?\d+$/.test(v)) row[i] = BigInt(v);
    }
    return row;
  };
}
