import { proxyActivities } from '@temporalio/workflow';
import type { ConduitActivities } from '../activities';

/**
 * Every activity heartbeats every few seconds, so a short heartbeat timeout notices a dead worker
 * quickly and the retry runs elsewhere; attempts are bounded so a lasting fault ends the run with
 * its last error instead of retrying for ever.
 */
const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6 };

export const planning = proxyActivities<Pick<ConduitActivities, 'planPipeline' | 'prepareTable' | 'prepareIncremental'>>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '30s',
  retry,
});

export const extracting = proxyActivities<Pick<ConduitActivities, 'extractPartition'>>({
  startToCloseTimeout: '4h',
  heartbeatTimeout: '30s',
  retry: { ...retry, maximumAttempts: 8 },
});

export const loading = proxyActivities<Pick<ConduitActivities, 'loadTable' | 'verifyTable' | 'swapTable' | 'settleFullLoad' | 'commitIncremental' | 'cleanupTable'>>({
  startToCloseTimeout: '4h',
  heartbeatTimeout: '30s',
  retry,
});

/**
 * The snapshot holder runs as long as the table's extraction and is never retried: a new holder
 * means a new snapshot, and the table workflow decides when to establish one (all partitions again).
 */
export const snapshotting = proxyActivities<Pick<ConduitActivities, 'holdSnapshot'>>({
  startToCloseTimeout: '24h',
  heartbeatTimeout: '30s',
  retry: { maximumAttempts: 1 },
});
