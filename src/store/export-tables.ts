/**
 * An export (`auditlake export`) holds the events and nothing else; the alerts, rejects and the
 * consumer's own state stay in the database. DuckDB's answer to a statement over an export that
 * names one of them ("Table with name alerts does not exist! Did you mean events?") says neither.
 */
const DATABASE_ONLY = new Set([
  'alerts', 'alert_deliveries', 'checkpoints', 'detector_state', 'exports', 'rejects', 'rejects_once', 'retention_runs',
  'schema_migrations', 'sink_pauses',
]);

/**
 * What to add to DuckDB's error over an export when the table it misses is one of the
 * database's; else ''. (`serve --parquet` refuses such a statement before DuckDB sees it, its
 * guard naming the tables there are: `events`.)
 */
export function notInExportHint(message: string): string {
  const table = /Table with name (\w+) does not exist/i.exec(message)?.[1];
  if (!table || !DATABASE_ONLY.has(table.toLowerCase())) return '';
  return `\nan export holds only the events: ${table} is in the database the export was written from (query it with --db)`;
}
