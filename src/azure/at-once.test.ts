import { describe, expect, it } from 'vitest';
import { forEachAtOnce } from './at-once.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('forEachAtOnce', () => {
  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await forEachAtOnce([...Array(25).keys()], 4, async (i) => {
      most = Math.max(most, ++running);
      await tick(i % 3);
      running--;
      done.push(i);
    });
    expect(most).toBe(4);
    expect(done.sort((a, b) => a - b)).toEqual([...Array(25).keys()]);
  });

  it('throws the first failure after the running tasks finish, and starts no more', async () => {
    const started: number[] = [];
    let finished = 0;
    const run = forEachAtOnce([...Array(20).keys()], 3, async (i) => {
      started.push(i);
      await tick(5);
      if (i === 1) throw new Error('blob 1 refused');
      finished++;
    });
    await expect(run).rejects.toThrow('blob 1 refused');
    // 0, 1 and 2 ran together; only the two that started beside the failure had begun when it came.
    expect(started.length).toBeLessThanOrEqual(5);
    expect(finished).toBe(started.length - 1);
  });

  it('does nothing for no items', async () => {
    await forEachAtOnce([], 8, async () => { throw new Error('not called'); });
  });
});
