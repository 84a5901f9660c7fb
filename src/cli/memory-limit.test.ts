import { describe, expect, it } from 'vitest';
import { isLockConflict } from '../store/duckdb.js';
import { defaultMemoryLimit } from './memory-limit.js';

describe('defaultMemoryLimit', () => {
  it('is a quarter of the machine in whole GB, at least 1 GB', () => {
    expect(defaultMemoryLimit(24 * 2 ** 30)).toBe('6GB');
    expect(defaultMemoryLimit(15 * 2 ** 30)).toBe('3GB');
    expect(defaultMemoryLimit(2 * 2 ** 30)).toBe('1GB');
  });
});

describe('isLockConflict', () => {
  it('knows DuckDB\'s lock refusal, and not an out-of-memory error that fails to pin a block', () => {
    expect(isLockConflict('IO Error: Could not set lock on file "/tmp/a.duckdb": Conflicting lock is held in /usr/bin/node (PID 14450).')).toBe(true);
    expect(isLockConflict('Out of Memory Error: failed to pin block of size 256.0 KiB (0 bytes/1000 bytes used)')).toBe(false);
  });
});
