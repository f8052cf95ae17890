// vitest configuration: tests live in test/ and import the TypeScript sources directly.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // gc() for the tests that check what survives a collection (IoBinding views).
    execArgv: ['--expose-gc'],
  },
});
