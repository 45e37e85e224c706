// Types only, no defineConfig: this package is CommonJS and vitest/config is ESM-only, which
// tsconfig.test.json's typecheck rejects as a runtime import (vitest itself would load either).
import type { ViteUserConfig } from 'vitest/config' with { 'resolution-mode': 'import' };

/**
 * Two projects so `vitest run test/unit` (or any selection of unit tests) never starts a server:
 * vitest runs a project's globalSetup only when at least one of that project's files is selected,
 * so Temporal, PostgreSQL and the Snowflake emulator start once per run, and only when an
 * integration test file is part of it. A lazy "start on first use" inside one project would need
 * the test workers to talk back to the main process; the split keeps it declarative.
 *
 * Pool: vitest's default `forks` (native addons such as Temporal's core bridge and worker threads
 * have clashed). Timeouts are generous: integration tests bundle workflows and run real pipelines.
 */
const config: ViteUserConfig = {
  test: {
    // Test files: test/**/*.test.ts, split between the projects below. (A root-level `include`
    // would be merged into each project's by `extends: true`, running every file in both.)
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // The global teardown stops three servers (each within a few seconds, SIGKILL after a grace).
    teardownTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        // Every destination against the DestinationSession contract (test/contract/destinations.ts lists
        // them). DuckDB runs in process; Snowflake runs on the emulator, the only service started here.
        extends: true,
        test: {
          name: 'contract',
          include: ['test/contract/**/*.test.ts'],
          globalSetup: ['test/contract/global-setup.ts'],
        },
      },
      {
        // The npm package: packs, installs and runs it (test/package). No services, but a full
        // build and an install: kept out of the quick unit project.
        extends: true,
        test: { name: 'package', include: ['test/package/**/*.test.ts'] },
      },
      {
        // Kills workers and services mid-run (docs/reliability.md). `npm test` runs the
        // representative cases; `npm run chaos` (CONDUIT_CHAOS=full) runs them all.
        extends: true,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          globalSetup: ['test/chaos/global-setup.ts'],
        },
      },
    ],
  },
};

export default config;
