/**
 * How much of Node's memory an answer takes while the server holds it. The server gathers rows
 * in JS where it cannot stream them (the console's answers and downloads, `POST /sql` rows of
 * types DuckDB does not write as JSON), and one statement can name gigabytes (`SELECT
 * repeat('x', 4000000) FROM range(500)`): gathered whole, that ended the server with a heap
 * out-of-memory error. So the reader counts what it converts against a budget and stops with
 * AnswerTooLarge — before converting a chunk's text when it can see the text's length, else
 * after each row.
 */
import { AuditlakeError } from '../errors.js';

/**
 * The most an answer may hold in the server's memory. Gathered rows are copied once more as
 * they are written (a JSON or CSV string, then its bytes), and two statements run at once: at
 * 128 MB that stays within a 1 GB heap, and it is far beyond what a page of 5,000 rows or a
 * download an analyst opens needs.
 */
export const ANSWER_BYTES = 128 * 1024 * 1024;

/** The answer would take more of the server's memory than its budget. */
export class AnswerTooLarge extends AuditlakeError {
  constructor(readonly limitBytes: number) {
    super('query_failed', `the answer is larger than ${Math.round(limitBytes / 2 ** 20)} MB; select fewer rows or columns (or shorter values)`);
  }
}

/** Bytes counted against a limit; `add` throws AnswerTooLarge past it. */
export class AnswerBudget {
  private used = 0;
  constructor(readonly limit: number) {}

  add(bytes: number): void {
    this.used += bytes;
    if (this.used > this.limit) throw new AnswerTooLarge(this.limit);
  }

  /** A piece held only until it is passed on (a streamed chunk): it must fit by itself. */
  checkPiece(bytes: number): void {
    if (bytes > this.limit) throw new AnswerTooLarge(this.limit);
  }
}

/** About what a converted value takes: its text and bytes, 8 for a scalar, plus what it holds. */
export function valueBytes(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return 8;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Date) return 8;
  let total = 8;
  if (Array.isArray(value)) {
    for (const v of value) total += valueBytes(v);
  } else {
    for (const [k, v] of Object.entries(value)) total += k.length + valueBytes(v);
  }
  return total;
}
