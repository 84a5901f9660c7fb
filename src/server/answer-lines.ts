/**
 * `POST /sql`'s answer read as it arrives. The server writes it a line at a time (respond.ts:
 * the head, one row per line, the tail), so each row is parsed while the rest is still on its
 * way: on a 100,000-row answer (37 MB) the parse overlaps the server's writing, and the body is
 * never held whole as one string. Any other body (an error, or a server that writes the answer
 * on one line) is handed back whole, to be parsed at its end.
 */
import type { QueryResult } from '../store/duckdb.js';
import type { RemoteResult } from './client.js';

type Layout = 'unknown' | 'lines' | 'whole';

const HEAD = /^\{"columns":(.*),"rows":\[$/s;
const TAIL = /^\],"truncated":(true|false)\}$/;

/**
 * Reads `body` (UTF-8 chunks). `reviver` gives, for the answer's columns, what turns a row's JSON
 * values into the values a local query gives. Rejects when the body ends before the answer's
 * last line (the server cut it short) or a row is not JSON.
 */
export async function readSqlAnswer(
  body: AsyncIterable<Uint8Array>,
  reviver: (columns: QueryResult['columns']) => (row: unknown[]) => unknown[],
): Promise<RemoteResult | { whole: string }> {
  const decoder = new TextDecoder('utf-8');
  let layout = 'unknown' as Layout; // set by take(), which TS does not follow
  const whole: string[] = [];
  let pending = '';
  let columns: QueryResult['columns'] = [];
  let revive: (row: unknown[]) => unknown[] = (row) => row;
  const rows: unknown[][] = [];
  let truncated: boolean | undefined;

  const line = (text: string): void => {
    if (truncated !== undefined) throw new Error('the answer goes on after its last line');
    const tail = TAIL.exec(text);
    if (tail) truncated = tail[1] === 'true';
    else rows.push(revive(JSON.parse(rows.length === 0 ? text : text.slice(1)) as unknown[])); // later rows start with ','
  };

  const take = (decoded: string): void => {
    if (layout === 'whole') return void whole.push(decoded);
    const text = pending + decoded;
    let start = 0;
    if (layout === 'unknown') {
      const nl = text.indexOf('\n');
      if (nl < 0) return void (pending = text);
      const head = HEAD.exec(text.slice(0, nl));
      if (!head) {
        layout = 'whole';
        pending = '';
        return void whole.push(text);
      }
      layout = 'lines';
      columns = JSON.parse(head[1]!) as QueryResult['columns'];
      revive = reviver(columns);
      start = nl + 1;
    }
    for (let nl = text.indexOf('\n', start); nl >= 0; start = nl + 1, nl = text.indexOf('\n', start)) line(text.slice(start, nl));
    pending = text.slice(start);
  };

  for await (const chunk of body) take(decoder.decode(chunk, { stream: true }));
  take(decoder.decode());
  if (layout !== 'lines') return { whole: whole.join('') + pending };
  if (pending !== '') line(pending); // the tail ends the body without a newline
  if (truncated === undefined) throw new Error('the answer ended before its last line');
  return { columns, rows, truncated };
}
