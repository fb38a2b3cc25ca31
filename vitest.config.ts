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
    // A condition polled for must hold within the same bound as a page element waited for: on a shared,
    // loaded machine a background job (a mail into the outbox, a scan) can take longer than vitest's 1 s.
    expect: { poll: { timeout: 10_000, interval: 100 } },
  },
});
