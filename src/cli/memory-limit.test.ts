import { describe, expect, it } from 'vitest';
import { availableMemory, defaultMemoryLimit } from './memory-limit.js';

describe('defaultMemoryLimit', () => {
  it('is a quarter of the machine in whole GB, at least 1 GB', () => {
    expect(defaultMemoryLimit(24 * 2 ** 30)).toBe('6GB');
    expect(defaultMemoryLimit(15 * 2 ** 30)).toBe('3GB');
    expect(defaultMemoryLimit(2 * 2 ** 30)).toBe('1GB');
  });
});

describe('availableMemory', () => {
  it('is the container\'s limit when lower than the machine, else the machine', () => {
    const GiB = 2 ** 30;
    expect(availableMemory(64 * GiB, 4 * GiB)).toBe(4 * GiB);
    expect(availableMemory(24 * GiB, 0)).toBe(24 * GiB);
    expect(availableMemory(24 * GiB, 2 ** 64)).toBe(24 * GiB);
    expect(defaultMemoryLimit(availableMemory(64 * GiB, 4 * GiB))).toBe('1GB');
  });
});
