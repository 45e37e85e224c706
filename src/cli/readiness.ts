import type { Worker } from '@temporalio/worker';
import type { PipelineConfig, TemporalSettings } from '../config/pipeline';
import { checkWorkerHealth } from '../health';
import type { Readiness } from '../observability/server';

/** Probes come every few seconds; a Snowflake login each time would cost more than it tells. */
const SERVICE_CHECK_TTL_MS = 30_000;

/**
 * Ready when the worker polls and every service its pipelines use answers. The service checks are
 * the start-up checks (src/health.ts), cached for a while and never run twice at once.
 */
export function workerReadiness(
  worker: Pick<Worker, 'getState'>,
  pipelines: PipelineConfig[],
  temporal: TemporalSettings,
): () => Promise<Readiness> {
  let cached: { at: number; checks: Promise<Readiness['checks']> } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > SERVICE_CHECK_TTL_MS) {
      const checks = checkWorkerHealth(pipelines, temporal, { timeoutMs: 5_000 }).then((found) =>
        found.map((check) => ({
          name: check.pipeline ? `${check.service} (${check.pipeline})` : check.service,
          ok: check.ok,
          detail: check.detail,
        })),
      );
      cached = { at: Date.now(), checks };
    }
    const state = worker.getState();
    const checks = [{ name: 'worker', ok: state === 'RUNNING', detail: `state ${state}` }, ...(await cached.checks)];
    return { ready: checks.every((check) => check.ok), checks };
  };
}
