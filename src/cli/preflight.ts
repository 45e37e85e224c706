import type { PipelineConfig } from '../config/pipeline';
import { checkWorkerHealth, formatHealth, type HealthCheck } from '../health';

/** What to look at in the pipeline file when a service cannot be used. */
const ADVICE: Record<HealthCheck['service'], string> = {
  temporal: 'check temporal.address and temporal.namespace (or TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE)',
  'search-attributes': 'register them as the message says',
  postgres: 'check source.host, port, database, user and the password variable, and that the user may log in',
  snowflake: 'check destination.account (or host, port, protocol), user and the password variable',
  duckdb: 'check destination.path: a database file this user may write, not held by another process',
  bigquery:
    'check destination.project, dataset and location, the key file in destination.credentials (or Application ' +
    'Default Credentials), and destination.apiEndpoint if set',
};

/**
 * `conduit run --worker` checks, before starting a run, that this process's worker can reach and log
 * in to everything the run needs: a wrong host or password ends the command at once (exit 3) with
 * what failed and what to check, instead of as a failed run after its activity retries.
 */
export async function preflight(config: PipelineConfig, err: NodeJS.WritableStream = process.stderr): Promise<boolean> {
  const checks = await checkWorkerHealth([config], config.temporal);
  const failed = checks.flatMap((check) =>
    check.ok ? [] : [`${formatHealth(check)}\n  → ${config.file}: ${ADVICE[check.service]}`],
  );
  if (failed.length === 0) return true;
  err.write(`conduit: cannot start the run, nothing was written:\n${failed.join('\n')}\n`);
  return false;
}
