// `npm run test:browser`: the console in headless Chromium (the Debian package, see scripts/chromium.ts),
// kept apart from `npm test` so a clone needs no browser to run the rest.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    setupFiles: ['test/support/log-guard.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
});
