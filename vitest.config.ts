import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The corpus conformance suites are large; they run in their own files and report
    // which of them did not run when VIGIL_CORPUS is absent.
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
