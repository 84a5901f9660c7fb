/** `--since 24h` / `7d` / `30m` / `2025-11-14` / an ISO-8601 time → epoch ms. */
import { AuditlakeError } from '../errors.js';
import { isDate, parseTime } from '../schema/fields.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DAY_MS = 86_400_000;
/** What DuckDB's TIMESTAMPTZ and JavaScript's Date both hold: years 0001 to 9999. */
const MIN_MS = Date.parse('0001-01-01T00:00:00Z');
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(?:Z|[+-]\d{2}:?\d{2})?$/i;

export interface SinceOptions {
  /** The flag, for messages (`--since`, `--until`). */
  flag?: string;
  /**
   * What a plain date `YYYY-MM-DD` means: the start of that UTC day (a `--since`), or its end
   * (an `--until` whose help says "before the end of this day", so the day itself is included).
   */
  date?: 'start' | 'end';
}

/**
 * A point in time from a duration back from `now`, a plain UTC date, or an ISO-8601 time (no zone
 * is UTC). Dates are checked field by field: Date.parse would roll 2025-02-30 over into March.
 */
export function parseSince(value: string, now = Date.now(), { flag = '--since', date = 'start' }: SinceOptions = {}): number {
  const bad = (why: string) => new AuditlakeError('bad_argument', `${flag} ${value}: ${why}`);
  const text = value.trim();
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text);
  if (rel) {
    const ms = now - Number(rel[1]) * UNIT_MS[rel[2]!.toLowerCase()]!;
    if (!(ms >= MIN_MS)) throw bad('too long ago: a duration must reach back no further than the year 0001');
    return ms;
  }
  const day = DATE.exec(text);
  if (day) {
    if (!isDate(Number(day[1]), Number(day[2]), Number(day[3]))) throw bad('not a date in the calendar (expected YYYY-MM-DD)');
    const start = Date.parse(`${text}T00:00:00Z`);
    return date === 'end' ? start + DAY_MS : start;
  }
  const full = DATE_TIME.exec(text);
  if (full) {
    const [, y, mo, d, h, mi, s] = full;
    if (!isDate(Number(y), Number(mo), Number(d)) || Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) {
      throw bad('not a time in the calendar (expected YYYY-MM-DDTHH:MM:SSZ)');
    }
  }
  const abs = parseTime(text);
  if (abs !== null && abs >= MIN_MS && abs <= MAX_MS) return abs;
  throw bad('expected a duration like 30m, 24h, 7d, a date (2025-11-14), or an ISO-8601 time (2025-11-14T09:00:00Z)');
}

/** `--retain 90d` / `--slice 6h` / `12w` → milliseconds (a positive duration, never a point in time). */
export function parseDuration(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(value.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]! : Number.NaN;
  // Upper bound: longer than the calendar DuckDB holds is a typo, not a retention policy.
  if (!(ms > 0 && ms <= MAX_MS - MIN_MS)) throw new AuditlakeError('bad_argument', `${flag} ${value}: expected a duration like 90d, 12w, 6h or 30m`);
  return ms;
}
