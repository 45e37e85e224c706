import { commitIncrementalActivity, settleFullLoadActivity } from './commit';
import type { ActivityContext } from './context';
import { extractPartitionActivity } from './extract';
import { cleanupTableActivity, swapTableActivity } from './finalize';
import { loadTableActivity, verifyTableActivity } from './load';
import { planPipelineActivity } from './plan';
import { prepareTableActivity } from './prepare';
import { holdSnapshotActivity } from './snapshot';
import { prepareIncrementalActivity } from './prepare-incremental';

export type { ActivityContext } from './context';

/** The activities a worker registers; workflows see only their types. */
export function createActivities(context: ActivityContext) {
  return {
    planPipeline: planPipelineActivity(context),
    prepareTable: prepareTableActivity(context),
    holdSnapshot: holdSnapshotActivity(context),
    prepareIncremental: prepareIncrementalActivity(context),
    extractPartition: extractPartitionActivity(context),
    loadTable: loadTableActivity(context),
    verifyTable: verifyTableActivity(context),
    swapTable: swapTableActivity(context),
    settleFullLoad: settleFullLoadActivity(context),
    commitIncremental: commitIncrementalActivity(context),
    cleanupTable: cleanupTableActivity(context),
  };
}

export type ConduitActivities = ReturnType<typeof createActivities>;
