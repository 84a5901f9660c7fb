/**
 * Sequence: A, then at least N B by the same key within the window after A (SecretList then
 * many SecretGet; listKeys then account-key reads). Out of order is fine: B seen before a late
 * A still counts once A arrives, because both sides are kept until the watermark passes them.
 */
import type { EventRow } from '../../schema/event.js';
import type { AlertEntity, SequenceShape } from '../define.js';
import { entityOf, type Incidents } from '../incidents.js';
import { BoundedMap, pushRecent } from '../state.js';
import { baselineMs, peakBar } from './baseline.js';
import type { RunnerLimits, ShapeRunner } from './runner.js';

interface FirstStep { t: number; id: string; who: AlertEntity }
interface KeyState { a: FirstStep[]; b: number[]; ids: string[]; peaks: number[]; last: number }

const MAX_FIRST_STEPS = 8;
const RECENT_IDS = 10;

/** Index of the first element ≥ x in a sorted array. */
function lowerBound(xs: number[], x: number): number {
  let lo = 0, hi = xs.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (xs[mid]! < x) lo = mid + 1; else hi = mid; }
  return lo;
}

export function sequenceRunner(spec: SequenceShape, incidents: Incidents, limits: RunnerLimits): ShapeRunner {
  const windowMs = spec.windowSeconds * 1000;
  const keepMs = windowMs + baselineMs(spec.peakBaseline);
  // Past this many B the key is firing (or baselined) anyway; the oldest go first.
  const maxThen = Math.max(100, spec.thenCount * 4);
  const keys = new BoundedMap<KeyState>(limits.maxKeys);

  function insertFirst(s: KeyState, e: EventRow): void {
    const step = { t: e.time, id: e.event_id, who: entityOf(e) };
    let i = s.a.length;
    while (i > 0 && s.a[i - 1]!.t > e.time) i--;
    s.a.splice(i, 0, step);
    if (s.a.length > MAX_FIRST_STEPS) s.a.shift();
  }

  return {
    onEvent(e, ctx) {
      const isFirst = spec.first(e);
      const isThen = spec.then(e);
      if ((!isFirst && !isThen) || ctx.tooLate) return;
      const key = spec.key(e);
      if (key === null) return;
      let s = keys.get(key);
      if (s === undefined) { s = { a: [], b: [], ids: [], peaks: [], last: e.time }; keys.set(key, s); }
      if (e.time > s.last) s.last = e.time;
      const horizon = ctx.watermarkMs - windowMs;
      while (s.a.length > 0 && s.a[0]!.t < horizon) s.a.shift();
      const stale = lowerBound(s.b, horizon);
      if (stale > 0) s.b.splice(0, stale);
      if (isFirst) insertFirst(s, e);
      if (isThen) {
        s.b.splice(lowerBound(s.b, e.time + 1), 0, e.time);
        if (s.b.length > maxThen) s.b.shift();
        pushRecent(s.ids, e.event_id, RECENT_IDS);
      }
      if (s.a.length === 0) return;
      // The earliest A whose window holds enough B, and that this event belongs to.
      let best: FirstStep | null = null, bestCount = 0, maxCount = 0;
      for (const a of s.a) {
        const n = lowerBound(s.b, a.t + windowMs + 1) - lowerBound(s.b, a.t);
        if (n > maxCount) maxCount = n;
        const inWindow = e.time >= a.t && e.time <= a.t + windowMs;
        if (best === null && n >= spec.thenCount && inWindow) { best = a; bestCount = n; }
      }
      const { bar, peak } = peakBar(s.peaks, e.time, maxCount, spec.thenCount, spec.peakBaseline);
      if (best === null || bestCount < bar) return;
      incidents.fire(key, e, best.t, {
        key, then_count: bestCount, threshold: bar, baseline_peak: peak,
        first_step_time: new Date(best.t).toISOString(), first_step_event_id: best.id, window_seconds: spec.windowSeconds,
        first_step_principal_id: best.who.principal_id, first_step_caller_ip: best.who.caller_ip,
      }, {
        count: bestCount + 1, firstEventMs: best.t, recentIds: [best.id, ...s.ids],
        subject: (spec.entityFrom ?? 'first') === 'first' ? best.who : undefined,
      });
    },
    sweep(watermarkMs) { keys.sweep((s) => s.last < watermarkMs - keepMs); },
    get keyCount() { return keys.size; },
    get evicted() { return keys.evicted; },
    save: () => keys.toJSON(),
    load(state) { keys.load(state); },
  };
}
