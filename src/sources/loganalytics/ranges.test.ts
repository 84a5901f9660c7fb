import { describe, expect, it } from 'vitest';
import { formatCoverage, mergeRanges, parseCoverage, uncovered } from './ranges.js';

describe('backfill ranges', () => {
  it('merges touching and overlapping ranges', () => {
    expect(mergeRanges([[5, 7], [0, 2], [2, 3], [6, 9], [4, 4]])).toEqual([[0, 3], [5, 9]]);
  });
  it('finds the gaps a rerun must still query', () => {
    expect(uncovered([0, 10], [])).toEqual([[0, 10]]);
    expect(uncovered([0, 10], [[2, 4], [6, 12]])).toEqual([[0, 2], [4, 6]]);
    expect(uncovered([0, 10], [[-5, 20]])).toEqual([]);
  });
  it('round-trips through the checkpoint position', () => {
    const t = Date.UTC(2025, 10, 14);
    const text = formatCoverage([[t, t + 3_600_000], [t + 3_600_000, t + 7_200_000]]);
    expect(JSON.parse(text)).toEqual({ covered: [['2025-11-14T00:00:00.000Z', '2025-11-14T02:00:00.000Z']] });
    expect(parseCoverage(text, 's')).toEqual([[t, t + 7_200_000]]);
    expect(() => parseCoverage('42', 'loganalytics:w/T')).toThrow(/checkpoints reset --source loganalytics:w\/T/);
  });
});
