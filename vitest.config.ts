import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // DuckDB and subprocess tests are I/O- and CPU-heavy; two cores here.
    pool: 'forks',
    maxWorkers: 2,
  },
});
