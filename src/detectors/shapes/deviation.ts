/**
 * Deviation from a key's own baseline: the current bucket's sum (e.g. today's egress bytes)
 * against the previous buckets of the same key (missing buckets count as 0). Fires above
 * max(floor, mean + k·stddev, ratio·mean), evaluated as the bucket fills, so an exfiltration
 * alerts while it happens, not at midnight. Keys with less history than `minBaselineBuckets`
 * are learning; the floor keeps a tiny baseline from alerting on noise.
 */
import type { DeviationShape } from '../define.js';
import type { Incidents } from '../incidents.js';
import { BoundedMap, pushRecent } from '../state.js';
import type { RunnerLimits, ShapeRunner } from './runner.js';

/** b: flattened [bucket, sum, count, ...] ascending. */
interface KeyState { first: number; b: number[]; ids: string[]; idsBucket: number; last: number }

const RECENT_IDS = 10;

export function deviationRunner(spec: DeviationShape, incidents: Incidents, limits: RunnerLimits): ShapeRunner {
  const bucketMs = spec.bucketSeconds * 1000;
  const keepMs = (spec.baselineBuckets + 1) * bucketMs;
  const keys = new BoundedMap<KeyState>(limits.maxKeys);

  return {
    onEvent(e, ctx) {
      if (!spec.where(e)) return;
      const v = spec.value(e);
      if (!(v > 0)) return;
      const key = spec.key(e);
      if (key === null) return;
      const bucket = Math.floor(e.time / bucketMs);
      let s = keys.get(key);
      if (s === undefined) { s = { first: bucket, b: [], ids: [], idsBucket: bucket, last: e.time }; keys.set(key, s); }
      if (bucket < s.first) s.first = bucket;
      if (e.time > s.last) s.last = e.time;
      const b = s.b;
      let i = b.length - 3;
      while (i >= 0 && b[i]! > bucket) i -= 3;
      if (i >= 0 && b[i] === bucket) { b[i + 1]! += v; b[i + 2]! += 1; }
      else { b.splice(i + 3, 0, bucket, v, 1); i += 3; }
      const latest = b[b.length - 3]!;
      let drop = 0;
      while (drop < b.length && b[drop]! < latest - spec.baselineBuckets - 1) drop += 3;
      if (drop > 0) { b.splice(0, drop); i -= drop; }
      if (ctx.tooLate || i < 0) return; // late history still teaches the baseline
      // Evidence names today's events, not yesterday's.
      if (s.idsBucket !== bucket) { s.ids = []; s.idsBucket = bucket; }
      pushRecent(s.ids, e.event_id, RECENT_IDS);
      const current = b[i + 1]!;
      if (current < spec.floor) return;
      const n = Math.min(spec.baselineBuckets, bucket - s.first);
      if (n < spec.minBaselineBuckets) return;
      let total = 0, squares = 0;
      for (let j = 0; j < b.length; j += 3) {
        if (b[j]! >= bucket - n && b[j]! < bucket) { total += b[j + 1]!; squares += b[j + 1]! * b[j + 1]!; }
      }
      const mean = total / n;
      const stddev = Math.sqrt(Math.max(0, squares / n - mean * mean));
      const bar = Math.max(spec.floor, mean + spec.k * stddev, spec.ratio * mean);
      if (current <= bar) return;
      const bucketStart = bucket * bucketMs;
      incidents.fire(`${key}@${bucket}`, e, bucketStart, {
        key, value: current, baseline_mean: Math.round(mean), baseline_stddev: Math.round(stddev),
        baseline_buckets: n, threshold: Math.round(bar), bucket_start: new Date(bucketStart).toISOString(), bucket_seconds: spec.bucketSeconds,
      }, { count: b[i + 2]!, recentIds: s.ids });
    },
    sweep(watermarkMs) { keys.sweep((s) => s.last < watermarkMs - keepMs); },
    get keyCount() { return keys.size; },
    get evicted() { return keys.evicted; },
    save: () => keys.toJSON(),
    load(state) { keys.load(state); },
  };
}
