import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Generous: CI machines can be several times slower than this one, and a timeout is not a finding.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Two cores here: a third worker only adds contention (measured: a slower suite).
    pool: 'forks',
    maxWorkers: 2,
  },
});
