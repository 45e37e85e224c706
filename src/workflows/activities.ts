import { proxyActivities } from '@temporalio/workflow';
import type { ConduitActivities } from '../activities';
import type { TableJob } from '../shared';

/**
 * Every activity heartbeats every few seconds, so a short heartbeat timeout notices a dead worker
 * quickly and the retry runs elsewhere; attempts are bounded so a lasting fault ends the run with
 * its last error instead of retrying for ever. A table's activities use the pipeline's
 * `settings.heartbeatTimeoutSeconds`, carried in its job. Proxies are plain option holders, so
 * making them per table is deterministic and cheap.
 */
const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6 };

/** Jobs planned before the setting existed carry none. */
const DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 30;

function heartbeatTimeout(job: TableJob): string {
  return `${job.heartbeatTimeoutSeconds ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS}s`;
}

/** Planning runs before any table job exists: the default heartbeat timeout. */
export const planning = proxyActivities<Pick<ConduitActivities, 'planPipeline'>>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: `${DEFAULT_HEARTBEAT_TIMEOUT_SECONDS}s`,
  retry,
});

export const preparing = (job: TableJob) => forTable<'prepareTable' | 'prepareIncremental'>(job, '30m');

export function extracting(job: TableJob) {
  return proxyActivities<Pick<ConduitActivities, 'extractPartition'>>({
    startToCloseTimeout: '4h',
    heartbeatTimeout: heartbeatTimeout(job),
    retry: { ...retry, maximumAttempts: 8 },
  });
}

/** A table's activities with the table's heartbeat timeout and the shared retry policy. */
function forTable<Names extends keyof ConduitActivities>(job: TableJob, startToCloseTimeout: string) {
  return proxyActivities<Pick<ConduitActivities, Names>>({
    startToCloseTimeout,
    heartbeatTimeout: heartbeatTimeout(job),
    retry,
  });
}

/** Staged files into the shadow or staging table, and the row count checked there. */
export const loading = (job: TableJob) => forTable<'loadTable' | 'verifyTable'>(job, '4h');

/** What readers see change: the swap, a full reload's dedupe, and the batch committed with its cursor. */
export const publishing = (job: TableJob) => forTable<'swapTable' | 'settleFullLoad' | 'commitIncremental'>(job, '4h');

/** Drops the run's shadow or staging table and stage, on every path out of a table. */
export const cleaningUp = (job: TableJob) => forTable<'cleanupTable'>(job, '4h');

/**
 * The snapshot holder runs as long as the table's extraction and is never retried: a new holder
 * means a new snapshot, and the table workflow decides when to establish one (all partitions again).
 */
export function snapshotting(job: TableJob) {
  return proxyActivities<Pick<ConduitActivities, 'holdSnapshot'>>({
    startToCloseTimeout: '24h',
    heartbeatTimeout: heartbeatTimeout(job),
    retry: { maximumAttempts: 1 },
  });
}
