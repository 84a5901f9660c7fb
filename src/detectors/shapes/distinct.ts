/**
 * Distinct values per key in a sliding event-time window (secrets read, blobs read). Each key
 * keeps value → latest time in recency order; values that left the window fall off the front.
 * The window is the key's own latest activity − window, both ends included (as sequences
 * count them), so a late event counts when it is still inside it.
 */
import type { DistinctShape } from '../define.js';
import type { Incidents } from '../incidents.js';
import { BoundedMap, pushRecent } from '../state.js';
import { baselineMs, peakBar } from './baseline.js';
import type { RunnerLimits, ShapeRunner } from './runner.js';

interface KeyState { vals: Map<string, number>; max: number; ids: string[]; peaks: number[] }
type Saved = { vals: [string, number][]; max: number; ids: string[]; peaks: number[] };

const RECENT_IDS = 10;
const SAMPLE = 10;

export function distinctRunner(spec: DistinctShape, incidents: Incidents, limits: RunnerLimits): ShapeRunner {
  const windowMs = spec.windowSeconds * 1000;
  const keepMs = windowMs + baselineMs(spec.peakBaseline);
  // A hot key (a job reading 100k blobs) must not hold 100k strings: past this it is firing or baselined anyway.
  const maxValues = Math.max(1000, spec.atLeast * 4);
  const keys = new BoundedMap<KeyState>(limits.maxKeys);

  return {
    onEvent(e, ctx) {
      if (ctx.tooLate || !spec.where(e)) return;
      const key = spec.key(e);
      if (key === null) return;
      const value = spec.value(e);
      if (value === null) return;
      let s = keys.get(key);
      if (s === undefined) { s = { vals: new Map(), max: e.time, ids: [], peaks: [] }; keys.set(key, s); }
      if (e.time > s.max) s.max = e.time;
      const prev = s.vals.get(value);
      if (prev !== undefined) s.vals.delete(value);
      s.vals.set(value, prev !== undefined && prev > e.time ? prev : e.time);
      const from = s.max - windowMs;
      for (const [v, t] of s.vals) {
        if (t >= from && s.vals.size <= maxValues) break;
        s.vals.delete(v);
      }
      if (e.time < from) return;
      pushRecent(s.ids, e.event_id, RECENT_IDS);
      const count = s.vals.size;
      const { bar, peak } = peakBar(s.peaks, e.time, count, spec.atLeast, spec.peakBaseline);
      if (count < bar) return;
      const firstMs = s.vals.values().next().value ?? e.time;
      const sample: string[] = [];
      for (const v of s.vals.keys()) { if (sample.length >= SAMPLE) break; sample.push(v); }
      incidents.fire(key, e, firstMs, {
        key, distinct: count, threshold: bar, baseline_peak: peak, window_seconds: spec.windowSeconds, sample,
      }, { count, firstEventMs: firstMs, recentIds: s.ids });
    },
    sweep(watermarkMs) { keys.sweep((s) => s.max < watermarkMs - keepMs); },
    get keyCount() { return keys.size; },
    get evicted() { return keys.evicted; },
    save: () => keys.toJSON((s): Saved => ({ vals: [...s.vals], max: s.max, ids: s.ids, peaks: s.peaks })),
    load(state) { keys.load(state, (s: Saved): KeyState => ({ vals: new Map(s.vals), max: s.max, ids: s.ids, peaks: s.peaks })); },
  };
}
