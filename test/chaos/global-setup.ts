/**
 * Global setup of the chaos project: the integration project's services (test/global-setup.ts),
 * an ID for this suite run, and on teardown test-artifacts/chaos/report.md rendered from every
 * recorded result (the table docs/reliability.md quotes).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import startServices from '../global-setup';
import { CHAOS_RESULTS_DIR, readChaosResults, renderChaosReport } from '../support/chaos-record';

declare module 'vitest' {
  interface ProvidedContext {
    /** Names this suite run in recorded chaos results. */
    chaosRun: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  project.provide(
    'chaosRun',
    `${new Date().toISOString().slice(0, 19)}Z ${process.env['CONDUIT_CHAOS'] === 'full' ? 'full' : 'reduced'}`,
  );
  const stop = await startServices(project);
  return async () => {
    await stop();
    const results = readChaosResults();
    if (results.length > 0) writeFileSync(join(CHAOS_RESULTS_DIR, 'report.md'), renderChaosReport(results));
  };
}
