import { describe, expect, it } from 'vitest';
import { HttpError } from '../respond.js';
import { DAY_MS, HOUR_MS, hourlySeries, resolveWindow } from './window.js';

const T = Date.parse('2025-11-10T00:00:00Z');
const at = (ms: number) => new Date(ms).toISOString();

describe('the view window', () => {
  it('defaults to the 24 hours up to the end of the hour of the last activity', () => {
    expect(resolveWindow(undefined, undefined, T + 5 * HOUR_MS + 1)).toEqual({ fromMs: T - 18 * HOUR_MS, toMs: T + 6 * HOUR_MS });
  });

  it('takes from and to as given, a day from `from` alone, and refuses nonsense', () => {
    expect(resolveWindow(at(T), at(T + 3 * DAY_MS), null)).toEqual({ fromMs: T, toMs: T + 3 * DAY_MS });
    expect(resolveWindow(at(T), undefined, null)).toEqual({ fromMs: T, toMs: T + DAY_MS });
    expect(() => resolveWindow('yesterday', undefined, null)).toThrow(HttpError);
    expect(() => resolveWindow(at(T), at(T), null)).toThrow(/before/);
    expect(() => resolveWindow(at(T), at(T + 40 * DAY_MS), null)).toThrow(/31 days/);
  });
});

describe('hourly series against the baseline', () => {
  const w = { fromMs: T, toMs: T + DAY_MS };

  it('puts each hour beside the mean of the same hour over the days before', () => {
    const rows = [
      // 02:00 on each of the 7 days before: 10 events and 1 KB, then 40 and 8 KB on the day viewed.
      ...Array.from({ length: 7 }, (_, d) => ({ hour: at(T - (d + 1) * DAY_MS + 2 * HOUR_MS), events: 10, bytes_out: 1024 })),
      { hour: at(T + 2 * HOUR_MS), events: 40, bytes_out: 8192 },
    ];
    const s = hourlySeries(rows, w, T - 30 * DAY_MS);
    expect(s.baseline_days).toBe(7);
    expect(s.points).toHaveLength(24);
    expect(s.points[2]).toEqual({ hour: at(T + 2 * HOUR_MS), events: 40, bytes_out: 8192, baseline_events: 10, baseline_bytes_out: 1024 });
    expect(s.points[3]).toMatchObject({ events: 0, baseline_events: 0 });
  });

  it('averages only the days with history, and has no baseline without any', () => {
    const rows = [{ hour: at(T - DAY_MS + 2 * HOUR_MS), events: 6, bytes_out: 0 }, { hour: at(T - 2 * DAY_MS + 2 * HOUR_MS), events: 2, bytes_out: 0 }];
    expect(hourlySeries(rows, w, T - 2 * DAY_MS + HOUR_MS).points[2]!.baseline_events).toBe(4);
    const fresh = hourlySeries([{ hour: at(T + HOUR_MS), events: 3, bytes_out: 0 }], w, T + HOUR_MS);
    expect(fresh.baseline_days).toBe(0);
    expect(fresh.points[1]).toMatchObject({ events: 3, baseline_events: null });
  });
});
