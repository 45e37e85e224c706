import { partitionRanges, type TableResult } from '../shared';
import { preparing, publishing } from './activities';
import {
  countWarehouseTime,
  finishTable,
  prepareOrFail,
  stageAndLoad,
  trackTable,
  type TableRefreshInput,
} from './table-refresh';

/**
 * incremental_append / incremental_merge of one table: prepare (window, schema evolution, staging
 * table) → extract the window to the stage → load and verify the staging table → commit the batch
 * and its cursor in one transaction (a full reload swaps the staging table in first) → clean up.
 */
export async function tableIncremental({ job, runKey }: TableRefreshInput): Promise<TableResult> {
  const tracked = trackTable(job);
  const { progress, enter, summary } = tracked;
  const publish = publishing(job);

  const prepared = await prepareOrFail(tracked, () =>
    preparing(job).prepareIncremental.executeWithOptions(summary('prepare'), [{ job, runKey }]),
  );
  progress.partitions = partitionRanges(prepared.partitioning).length;

  const result = await finishTable(job, prepared, tracked, 'cursor not advanced', async () => {
    const partitions = await stageAndLoad(job, prepared, progress, enter, prepared.window);
    enter('swapping');
    if (prepared.full && job.mode === 'incremental_merge') {
      countWarehouseTime(
        progress,
        await publish.settleFullLoad.executeWithOptions(summary('keep one row per key in the full reload of'), [
          { job, prepared },
        ]),
      );
    }
    if (prepared.full)
      countWarehouseTime(
        progress,
        await publish.swapTable.executeWithOptions(summary('swap the full reload into place'), [{ job, prepared }]),
      );
    countWarehouseTime(
      progress,
      await publish.commitIncremental.executeWithOptions(
        summary(prepared.full ? 'record the cursor of' : 'commit the batch and cursor of'),
        [{ job, prepared }],
      ),
    );
    return partitions;
  });
  return {
    ...result,
    schemaChanges: prepared.schemaChanges,
    // No cursor values this run: the committed one stays (prepared.window.low), or none yet.
    cursor: prepared.window.high ?? prepared.window.low ?? null,
  };
}
