import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files start their own sshd hosts; two cores run two files at a time.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
