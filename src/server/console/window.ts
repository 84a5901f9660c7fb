/**
 * The time window a view looks at, and "normal" to compare it with. Every view statement is
 * bounded by time (DuckDB skips row groups outside it by their min/max), and the charts put each
 * hour of the window beside the mean of the same hour of day over the days before it: scheduled
 * jobs run at the same hour every night, so that is what "usual at this hour" means for them.
 */
import { HttpError } from '../respond.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Days before the window that make the baseline. */
export const BASELINE_DAYS = 7;
/** Longest window a view charts per hour (744 points). */
export const MAX_WINDOW_DAYS = 31;

export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

/** `from`/`to` as given (ISO-8601), else the 24 hours up to the end of the hour of the last activity. */
export function resolveWindow(from: string | undefined, to: string | undefined, lastActivityMs: number | null): TimeWindow {
  const parse = (name: string, text: string) => {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new HttpError(400, 'bad_request', `${name}: expected an ISO-8601 time (2025-11-10T00:00:00Z), got '${text}'`);
    return ms;
  };
  const end = Math.ceil((lastActivityMs ?? Date.now()) / HOUR_MS) * HOUR_MS || HOUR_MS;
  const toMs = to ? parse('to', to) : from ? parse('from', from) + DAY_MS : end;
  const fromMs = from ? parse('from', from) : toMs - DAY_MS;
  if (fromMs >= toMs) throw new HttpError(400, 'bad_request', 'from must be before to');
  if (toMs - fromMs > MAX_WINDOW_DAYS * DAY_MS) throw new HttpError(400, 'bad_request', `the window is over ${MAX_WINDOW_DAYS} days; narrow it`);
  return { fromMs, toMs };
}

/** The statement parameters of a window and its baseline, as ISO strings (cast with ::TIMESTAMPTZ). */
export function windowParams(w: TimeWindow): { from: string; to: string; base_from: string } {
  return { from: iso(w.fromMs), to: iso(w.toMs), base_from: iso(w.fromMs - BASELINE_DAYS * DAY_MS) };
}

export const iso = (ms: number): string => new Date(ms).toISOString();

export interface HourCount {
  /** Start of the hour, ISO. */
  hour: string;
  events: number;
  bytes_out: number;
}

export interface HourPoint extends HourCount {
  /** Mean of the same hour of day over the baseline days; null without history. */
  baseline_events: number | null;
  baseline_bytes_out: number | null;
}

export interface HourlySeries {
  points: HourPoint[];
  /** Days of history the baseline averages (up to BASELINE_DAYS; 0: none yet). */
  baseline_days: number;
}

/**
 * Hourly counts of the window and its baseline (from `hourlyCountsSql`) as one point per hour of
 * the window. `historyStartMs` is the first activity ever seen: a baseline only averages the days
 * that had history, so a principal first seen two days ago is not diluted by five empty days.
 */
export function hourlySeries(rows: HourCount[], w: TimeWindow, historyStartMs: number | null): HourlySeries {
  const baseFrom = w.fromMs - BASELINE_DAYS * DAY_MS;
  const start = Math.max(baseFrom, Math.floor((historyStartMs ?? w.fromMs) / DAY_MS) * DAY_MS);
  const days = Math.max(0, Math.min(BASELINE_DAYS, Math.ceil((w.fromMs - start) / DAY_MS)));
  const byHour = new Map<number, HourCount>();
  const baseEvents = new Array<number>(24).fill(0);
  const baseBytes = new Array<number>(24).fill(0);
  for (const r of rows) {
    const ms = Date.parse(r.hour);
    if (ms >= w.fromMs) byHour.set(ms, r);
    else if (ms >= baseFrom) {
      const h = new Date(ms).getUTCHours();
      baseEvents[h]! += r.events;
      baseBytes[h]! += r.bytes_out;
    }
  }
  const points: HourPoint[] = [];
  for (let ms = Math.floor(w.fromMs / HOUR_MS) * HOUR_MS; ms < w.toMs; ms += HOUR_MS) {
    const r = byHour.get(ms);
    const h = new Date(ms).getUTCHours();
    points.push({
      hour: iso(ms),
      events: r?.events ?? 0,
      bytes_out: r?.bytes_out ?? 0,
      baseline_events: days > 0 ? baseEvents[h]! / days : null,
      baseline_bytes_out: days > 0 ? baseBytes[h]! / days : null,
    });
  }
  return { points, baseline_days: days };
}

/**
 * Events and egress bytes per hour from the baseline's start to the window's end, for the
 * rows `where` selects (a condition over `events`; `withClause` a `WITH ...` it refers to).
 */
export function hourlyCountsSql(where: string, withClause = ''): string {
  return `${withClause}
    SELECT date_trunc('hour', time) AS hour, count(*)::DOUBLE AS events, coalesce(sum(bytes_out), 0)::DOUBLE AS bytes_out
    FROM events
    WHERE time >= $base_from::TIMESTAMPTZ AND time < $to::TIMESTAMPTZ AND (${where})
    GROUP BY 1 ORDER BY 1`;
}
