import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The S3 server the remote tests need (test/s3/ceph.sh), started once and stopped after the run.
    globalSetup: ['test/s3/global-setup.ts'],
    // Child processes, not worker threads: mmap-io's addon cannot be loaded into a worker thread.
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
