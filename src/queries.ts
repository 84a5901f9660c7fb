/**
 * Saved investigation queries: `queries/NAME.sql`, each with a header
 *   -- name: NAME
 *   -- description: one sentence
 *   -- params: principal, since=1970-01-01T00:00:00Z   (name, or name=default)
 * Parameters are bound by DuckDB as `$name`, never spliced into the text.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSince } from './cli/duration.js';
import { AuditlakeError } from './errors.js';
import { queriesDir } from './paths.js';

export interface SavedQuery {
  name: string;
  description: string;
  params: { name: string; default?: string }[];
  sql: string;
  file: string;
}

export function parseSavedQuery(text: string, file: string): SavedQuery {
  const header = (key: string) => new RegExp(`^--\\s*${key}:\\s*(.*)$`, 'mi').exec(text)?.[1]?.trim();
  const name = header('name');
  const description = header('description');
  if (!name || !description) throw new AuditlakeError('bad_input', `${file}: a saved query needs '-- name:' and '-- description:' header lines`);
  const params = (header('params') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '' && p.toLowerCase() !== 'none')
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? { name: p } : { name: p.slice(0, eq).trim(), default: p.slice(eq + 1).trim() };
    });
  return { name, description, params, sql: text, file };
}

export function listSavedQueries(dir = queriesDir): SavedQuery[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => parseSavedQuery(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
}

export function findSavedQuery(name: string, dir = queriesDir): SavedQuery | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return undefined;
  const file = join(dir, `${name}.sql`);
  return existsSync(file) ? parseSavedQuery(readFileSync(file, 'utf8'), file) : undefined;
}

/**
 * The `$name` parameters a statement uses, outside string literals, quoted identifiers and
 * comments. One left-to-right scan, so `'a--b'` is a string (not a comment that hides the rest
 * of the line) and `-- it's` is a comment (not the start of a string).
 */
export function referencedParams(sql: string): Set<string> {
  const token = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|\$([A-Za-z_][A-Za-z0-9_]*)/g;
  const used = new Set<string>();
  for (const m of sql.matchAll(token)) if (m[1] !== undefined) used.add(m[1]);
  return used;
}

/** A saved query's time window: every saved query that has them compares `time` with these. */
export const WINDOW_PARAMS = ['since', 'until'] as const;

/**
 * A window's bound read as `--since` reads a time (7d, a date, an ISO time), as the ISO time to
 * bind: a plain date as `until` (exclusive) is the end of that day, as in `export --until`.
 */
export function windowBound(name: (typeof WINDOW_PARAMS)[number], value: string, flag: string, now = Date.now()): string {
  return new Date(parseSince(value, now, { flag, date: name === 'until' ? 'end' : 'start' })).toISOString();
}

/**
 * The values to bind: the saved query's defaults, overridden by `--param`, limited to the
 * names the SQL uses. A missing value or an unknown name is an error naming it. A saved query's
 * `since` and `until` take what `--since` takes elsewhere (7d, a date, an ISO time) and are bound
 * as ISO times (windowBound): DuckDB's own cast would refuse `7d` with an error pointing into
 * the query text.
 */
export function bindParams(sql: string, given: Record<string, string>, saved?: SavedQuery, now = Date.now()): Record<string, string> {
  const used = referencedParams(sql);
  const values: Record<string, string> = {};
  for (const p of saved?.params ?? []) if (p.default !== undefined) values[p.name] = p.default;
  for (const [k, v] of Object.entries(given)) {
    if (!used.has(k)) {
      const known = [...used].map((u) => `$${u}`).join(', ') || 'none';
      throw new AuditlakeError('bad_argument', `--param ${k}: the query has no $${k} parameter (it uses: ${known})`);
    }
    values[k] = v;
  }
  for (const name of WINDOW_PARAMS) {
    const value = values[name];
    if (value === undefined || !saved?.params.some((p) => p.name === name) || !(name in given)) continue;
    values[name] = windowBound(name, value, `--param ${name}`, now);
  }
  for (const u of used) {
    if (values[u] === undefined) {
      const where = saved ? `saved query ${saved.name}` : 'the query';
      // Not "--param secret=VALUE": error messages are redacted on the way out, and that reads as a secret.
      throw new AuditlakeError('bad_argument', `${where} needs a value for $${u} (give it with --param, as NAME=VALUE)`);
    }
  }
  for (const k of Object.keys(values)) if (!used.has(k)) delete values[k];
  return values;
}

/** The candidate nearest `name` in edit distance, when near enough to be a slip (a third of its length, at least 2). */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.candidate : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
