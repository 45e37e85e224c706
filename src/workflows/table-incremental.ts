import { CancellationScope, isCancellation } from '@temporalio/workflow';
import { partitionRanges, qualifiedName, type PartitionResult, type PreparedIncremental, type TableResult } from '../shared';
import { loading as loadingFor, preparing } from './activities';
import { failWith } from './failures';
import { stageAndLoad, sumUnrepresentable, textColumns, trackTable, type TableRefreshInput } from './table-refresh';

/**
 * incremental_append / incremental_merge of one table: prepare (window, schema evolution, staging
 * table) → extract the window to the stage → load and verify the staging table → commit the batch
 * and its cursor in one transaction (a full reload swaps the staging table in first) → clean up.
 */
export async function tableIncremental({ job, runKey }: TableRefreshInput): Promise<TableResult> {
  const started = Date.now();
  const source = qualifiedName(job.source);
  const { progress, enter, summary } = trackTable(job);
  const loading = loadingFor(job);

  let prepared: PreparedIncremental;
  try {
    prepared = await preparing(job).prepareIncremental.executeWithOptions(summary('prepare'), [{ job, runKey }]);
  } catch (error) {
    enter('failed');
    throw failWith(`preparing ${source}`, error, 'TableFailed');
  }
  progress.partitions = partitionRanges(prepared.partitioning).length;

  let partitions: PartitionResult[] = [];
  try {
    partitions = await stageAndLoad(job, prepared, progress, enter, prepared.window);
    enter('swapping');
    if (prepared.full && job.mode === 'incremental_merge') {
      await loading.settleFullLoad.executeWithOptions(summary('keep one row per key in the full reload of'), [{ job, prepared }]);
    }
    if (prepared.full) await loading.swapTable.executeWithOptions(summary('swap the full reload into place'), [{ job, prepared }]);
    await loading.commitIncremental.executeWithOptions(summary(prepared.full ? 'record the cursor of' : 'commit the batch and cursor of'), [{ job, prepared }]);
  } catch (error) {
    enter('failed');
    progress.error = String(error instanceof Error ? error.message : error);
    await CancellationScope.nonCancellable(() => loading.cleanupTable.executeWithOptions(summary('clean up after'), [{ job, prepared }]));
    if (isCancellation(error)) throw error;
    throw failWith(`${source} (cursor not advanced)`, error, 'TableFailed');
  }

  enter('cleaning');
  await loading.cleanupTable.executeWithOptions(summary('clean up'), [{ job, prepared }]);
  enter('succeeded');
  const unrepresentable = job.onUnrepresentable === 'string' ? textColumns(prepared) : sumUnrepresentable(partitions);
  return {
    source,
    target: qualifiedName(job.target),
    status: 'succeeded',
    rows: progress.rows,
    bytes: progress.bytes,
    partitions: partitions.length,
    seconds: (Date.now() - started) / 1000,
    ...(unrepresentable ? { unrepresentable: { policy: job.onUnrepresentable, columns: unrepresentable } } : {}),
    schemaChanges: prepared.schemaChanges,
    // No cursor values this run: the committed one stays (prepared.window.low), or none yet.
    cursor: prepared.window.high ?? prepared.window.low ?? null,
  };
}
