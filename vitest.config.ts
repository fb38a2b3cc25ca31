import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // argon2 at full strength is CPU-bound: two cores, so two files at a time.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
