import { describe, expect, it } from 'vitest';
import { defaultMemoryLimit } from './memory-limit.js';

describe('defaultMemoryLimit', () => {
  it('is a quarter of the machine in whole GB, at least 1 GB', () => {
    expect(defaultMemoryLimit(24 * 2 ** 30)).toBe('6GB');
    expect(defaultMemoryLimit(15 * 2 ** 30)).toBe('3GB');
    expect(defaultMemoryLimit(2 * 2 ** 30)).toBe('1GB');
  });
});
