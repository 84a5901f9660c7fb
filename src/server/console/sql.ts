/**
 * The SQL console: the saved queries of queries/ (with their parameters and defaults), and
 * analysts' statements run as `POST /sql` runs them — guarded, read-only, within the limits —
 * answered as JSON for the page, or as a CSV or Parquet download. Parquet is written by this
 * process (an in-memory DuckDB, as `auditlake query --format parquet` does through a server),
 * to a file of its own in the stage directory that is removed once sent: the statement itself
 * never writes anything.
 */
import { readFileSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { plain, renderText } from '../../cli/output.js';
import { AuditlakeError } from '../../errors.js';
import { bindParams, findSavedQuery, listSavedQueries, referencedParams } from '../../queries.js';
import { writeParquet } from '../../store/reader.js';
import { stagePath } from '../../store/stage.js';
import { HttpError } from '../respond.js';
import { runAnalystSql, type SqlContext } from '../statements.js';

/** Rows the page shows at most; downloads get up to the server's row limit. */
export const PAGE_MAX_ROWS = 5_000;

export const consoleSqlSchema = z.strictObject({
  /** A saved query's name: its text (and parameter defaults) are the server's copy. */
  name: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  /** Ad-hoc SQL; ignored when `name` is given. */
  sql: z.string().max(100_000).optional(),
  params: z.record(z.string(), z.string().max(10_000)).default({}),
  format: z.enum(['json', 'csv', 'parquet']).default('json'),
});
export type ConsoleSql = z.infer<typeof consoleSqlSchema>;

export function savedQueries(): object {
  return {
    queries: listSavedQueries().map((q) => ({ name: q.name, description: q.description, params: q.params, sql: q.sql })),
  };
}

export interface Download {
  body: Buffer | string;
  contentType: string;
  filename: string;
}

export async function runConsoleSql(ctx: SqlContext, req: ConsoleSql): Promise<{ json: object } | { download: Download }> {
  const saved = req.name ? findSavedQuery(req.name) : undefined;
  if (req.name && !saved) throw new HttpError(404, 'not_found', `no saved query named ${req.name}`);
  const text = saved?.sql ?? req.sql;
  if (!text || text.trim() === '') throw new HttpError(400, 'bad_request', 'give the SQL to run, or the name of a saved query');
  // An empty input means "not given" (the default, if any), and inputs for parameters the
  // statement does not use (the analyst edited them away) are dropped rather than refused.
  const used = referencedParams(text);
  const given = Object.fromEntries(Object.entries(req.params).filter(([k, v]) => used.has(k) && v !== ''));
  let params: Record<string, string>;
  try {
    params = bindParams(text, given, saved);
  } catch (err) {
    // The console has a field per parameter: the command line's hint on how to give one is not for it.
    if (err instanceof AuditlakeError) throw new HttpError(400, 'bad_request', err.message.replace(' (give it with --param, as NAME=VALUE)', ''));
    throw err;
  }
  const sql = text.replace(/;\s*$/, '');
  const result = await runAnalystSql(ctx, sql, params, req.format === 'json' ? PAGE_MAX_ROWS : undefined);
  const base = saved?.name ?? 'query';
  switch (req.format) {
    case 'json':
      return { json: { columns: result.columns, rows: result.rows.map((r) => r.map(plain)), truncated: result.truncated } };
    case 'csv':
      return { download: { body: renderText(result, 'csv', { spreadsheet: true }), contentType: 'text/csv; charset=utf-8', filename: `${base}.csv` } };
    case 'parquet': {
      const file = stagePath('parquet');
      try {
        await writeParquet(result.columns, renderText(result, 'ndjson'), file);
        return { download: { body: readFileSync(file), contentType: 'application/vnd.apache.parquet', filename: `${base}.parquet` } };
      } finally {
        rmSync(file, { force: true });
      }
    }
  }
}
