import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Generous: CI machines can be several times slower than this one, and a timeout is not a finding.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Two cores here: a third worker only adds contention (measured: a slower suite).
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      // Suites that span modules: real CLI subprocesses, peers, ports, temp files. Each file in a
      // fresh process. Files sort by project name first: these (the long ones) start before the unit tests.
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'] } },
      // Unit tests beside their source: one process runs many files, which saves a process start
      // and a module load per file (~0.75 s each; 16 small files: 24.8 s -> 13.0 s on one worker).
      // A unit test restores what it changes in the process (env, listeners), as they all do now.
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'], isolate: false } },
    ],
  },
});
