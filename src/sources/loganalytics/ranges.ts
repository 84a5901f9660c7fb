/**
 * Time ranges `[from, to)` in epoch ms: what a table's backfill has covered, and what is left.
 * The covered ranges of a table are its checkpoint (`checkpoints.position`), so a rerun, with
 * the same or another `--since`, queries only the gaps.
 */
import { AuditlakeError } from '../../errors.js';

export type Range = readonly [number, number];

/** Sorted, with touching or overlapping ranges joined. */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The parts of `range` no covered range holds, in order. */
export function uncovered(range: Range, covered: readonly Range[]): Range[] {
  const gaps: Range[] = [];
  let at = range[0];
  for (const [a, b] of mergeRanges(covered)) {
    if (b <= at) continue;
    if (a >= range[1]) break;
    if (a > at) gaps.push([at, a]);
    at = Math.max(at, b);
    if (at >= range[1]) break;
  }
  if (at < range[1]) gaps.push([at, range[1]]);
  return gaps;
}

export const rangeMs = (ranges: readonly Range[]) => ranges.reduce((n, [a, b]) => n + (b - a), 0);

/** `{"covered":[["2025-11-01T00:00:00.000Z","2025-11-03T00:00:00.000Z"], ...]}`: readable in `checkpoints list`. */
export function formatCoverage(ranges: readonly Range[]): string {
  return JSON.stringify({ covered: mergeRanges(ranges).map(([a, b]) => [new Date(a).toISOString(), new Date(b).toISOString()]) });
}

export function parseCoverage(position: string, source: string): Range[] {
  try {
    const parsed = JSON.parse(position) as { covered?: unknown };
    if (!Array.isArray(parsed.covered)) throw new Error('no "covered" list');
    return mergeRanges(parsed.covered.map((r) => {
      const [a, b] = (r as unknown[]).map((t) => Date.parse(String(t)));
      if (!Number.isFinite(a) || !Number.isFinite(b)) throw new Error(`bad range ${JSON.stringify(r)}`);
      return [a!, b!] as const;
    }));
  } catch (err) {
    throw new AuditlakeError('bad_input', `checkpoint of ${source}: position is not a backfill coverage (${(err as Error).message}); `
      + `\`auditlake checkpoints reset --source ${source}\` forgets it`, { cause: err });
  }
}
