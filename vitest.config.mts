import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    projects: [
      {
        // Files start their own sshd hosts on loopback addresses; two cores run two files at a time.
        extends: true,
        test: { name: 'engine', include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'], fileParallelism: true, sequence: { groupOrder: 0 } },
      },
      {
        // The lab has fixed names (bridge, namespaces, addresses): one lab file at a time, after the rest.
        extends: true,
        test: { name: 'lab', include: ['test/lab/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
