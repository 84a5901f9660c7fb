/**
 * Count (or sum) per key in a sliding event-time window. Events are folded into panes of
 * window/30, so a key costs a few numbers however hot it is, and out-of-order events simply
 * land in their pane; windows are evaluated at pane resolution (see `width`).
 */
import type { ThresholdShape } from '../define.js';
import type { Incidents } from '../incidents.js';
import { BoundedMap, Panes, pushRecent } from '../state.js';
import { baselineMs, peakBar } from './baseline.js';
import type { RunnerLimits, ShapeRunner } from './runner.js';

interface KeyState { p: number[]; ids: string[]; peaks: number[]; last: number }

const PANES_PER_WINDOW = 30;
const RECENT_IDS = 10;

export function thresholdRunner(spec: ThresholdShape, incidents: Incidents, limits: RunnerLimits): ShapeRunner {
  const windowMs = spec.windowSeconds * 1000;
  const paneMs = Math.max(1000, Math.ceil(windowMs / PANES_PER_WINDOW));
  // One pane more than the window spans: events under a window apart can touch that many panes
  // (a 295 s burst starting 5 s into a 10 s pane ends in the 31st). So a window counts events up
  // to a pane wider than it, never narrower: a burst just inside it is never missed.
  const width = Math.ceil(windowMs / paneMs) + 1;
  const keepMs = windowMs + baselineMs(spec.peakBaseline);
  const keys = new BoundedMap<KeyState>(limits.maxKeys);
  const bySum = spec.sum !== undefined;

  return {
    onEvent(e, ctx) {
      if (ctx.tooLate || !spec.where(e)) return;
      const key = spec.key(e);
      if (key === null) return;
      let s = keys.get(key);
      if (s === undefined) { s = { p: [], ids: [], peaks: [], last: e.time }; keys.set(key, s); }
      if (e.time > s.last) s.last = e.time;
      // No event at or after the watermark can share a window with panes older than this.
      Panes.prune(s.p, Math.floor(ctx.watermarkMs / paneMs) - width + 1);
      const pane = Math.floor(e.time / paneMs);
      Panes.add(s.p, pane, bySum ? spec.sum!(e) : 1);
      pushRecent(s.ids, e.event_id, RECENT_IDS);
      const best = Panes.best(s.p, pane, width, bySum);
      if (best === null) return;
      const [count, sum, startPane] = best;
      const value = bySum ? sum : count;
      const { bar, peak } = peakBar(s.peaks, e.time, value, spec.atLeast, spec.peakBaseline);
      if (value < bar) return;
      const windowStartMs = startPane * paneMs;
      incidents.fire(key, e, windowStartMs, {
        key, count, ...(bySum ? { sum } : {}), threshold: bar, baseline_peak: peak,
        window_seconds: spec.windowSeconds, window_start: windowStartMs,
      }, { count, firstEventMs: windowStartMs, recentIds: s.ids });
    },
    sweep(watermarkMs) { keys.sweep((s) => s.last < watermarkMs - keepMs); },
    get keyCount() { return keys.size; },
    get evicted() { return keys.evicted; },
    save: () => keys.toJSON(),
    load(state) { keys.load(state); },
  };
}
