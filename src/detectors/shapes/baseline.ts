/** The 'own peak' baseline shared by the windowed shapes (threshold, distinct, sequence). */
import type { PeakBaseline } from '../define.js';
import { DAY_MS, DailyPeaks } from '../state.js';

/**
 * Records today's value and returns the bar it must reach: `atLeast`, raised to `factor` × the
 * key's highest daily peak in the previous `days` (so a pipeline that reads every secret nightly
 * stops alerting once it has a history, while a first-time burst still fires).
 */
export function peakBar(peaks: number[], timeMs: number, value: number, atLeast: number, baseline: PeakBaseline | undefined): { bar: number; peak: number } {
  if (baseline === undefined) return { bar: atLeast, peak: 0 };
  const day = Math.floor(timeMs / DAY_MS);
  const peak = DailyPeaks.before(peaks, day, baseline.days);
  DailyPeaks.record(peaks, day, value, baseline.days);
  return { bar: Math.max(atLeast, Math.floor(peak * baseline.factor) + 1), peak };
}

export function baselineMs(baseline: PeakBaseline | undefined): number {
  return baseline === undefined ? 0 : (baseline.days + 1) * DAY_MS;
}
