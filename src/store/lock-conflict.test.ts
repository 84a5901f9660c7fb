import { describe, expect, it } from 'vitest';
import { isLockConflict } from './duckdb.js';

describe('isLockConflict', () => {
  it('knows DuckDB\'s lock refusal, and not an out-of-memory error that fails to pin a block', () => {
    expect(isLockConflict('IO Error: Could not set lock on file "/tmp/a.duckdb": Conflicting lock is held in /usr/bin/node (PID 14450).')).toBe(true);
    expect(isLockConflict('Out of Memory Error: failed to pin block of size 256.0 KiB (0 bytes/1000 bytes used)')).toBe(false);
  });
});
