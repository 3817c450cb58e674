import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Integration tests start real servers (Postfix, DNS) and wait for real timeouts.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites own fixed loopback addresses; running files one at a time keeps
    // two suites from fighting over the same address and keeps timing tests honest on 2 cores.
    fileParallelism: false,
  },
});
