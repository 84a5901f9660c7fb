import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Generous: CI machines can be several times slower than this one, and a timeout is not a finding.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Two cores here, but the consumer tests mostly wait on their peers (group joins, session
    // timeouts, backoffs): a third worker fills that time.
    pool: 'forks',
    maxWorkers: 3,
  },
});
