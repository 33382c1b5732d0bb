import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real servers and real processes: two cores, so keep parallelism modest.
    maxWorkers: 2,
    setupFiles: ['test/setup.ts'],
  },
});
