import { defineQuery, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  qualifiedName,
  type BatchProgress,
  type ExtractBatchInput,
  type PartitionRange,
  type PartitionResult,
} from '../shared';
import { extracting } from './activities';
import { mapWithConcurrency } from './concurrency';
import { failureType, failWith } from './failures';
import { FailureType } from '../failure-types';

export const batchProgressQuery = defineQuery<BatchProgress>('progress');

/**
 * Extracts a slice of a table's partitions, at most `maxParallelPartitions` at once. Slices keep each
 * workflow's history small however many partitions a table has.
 */
export async function extractBatch(input: ExtractBatchInput): Promise<PartitionResult[]> {
  const progress: BatchProgress = { partitionsDone: 0, rows: 0, bytes: 0 };
  setHandler(batchProgressQuery, () => progress);
  const table = qualifiedName(input.job.source);
  const activities = extracting(input.job);

  return mapWithConcurrency(input.ranges, input.job.maxParallelPartitions, async (range, index) => {
    const partition = input.firstPartition + index;
    try {
      const result = await activities.extractPartition({
        job: input.job,
        columns: input.columns,
        stage: input.stage,
        partition,
        range,
        snapshot: input.snapshot,
        window: input.window,
      });
      progress.partitionsDone++;
      progress.rows += result.rows;
      progress.bytes += result.bytes;
      return result;
    } catch (error) {
      // An operator's cancel stays a cancellation all the way up, so the run ends CANCELLED, not FAILED.
      if (isCancellation(error)) throw error;
      // A lost shared snapshot keeps its type: the table workflow reacts to it by establishing a new one.
      const type = failureType(error) === FailureType.SnapshotLost ? FailureType.SnapshotLost : 'PartitionFailed';
      throw failWith(
        `partition ${partition} (${describeRange(range)}) of ${table} in ${workflowInfo().workflowId}`,
        error,
        type,
      );
    }
  });
}

export function describeRange(range: PartitionRange): string {
  const what = range.strategy === 'key' ? `"${range.column}"` : 'page';
  const from = range.from === undefined ? '' : `${what} >= ${range.from}`;
  const to = range.to === undefined ? '' : `${what} < ${range.to}`;
  return [from, to].filter(Boolean).join(' and ') || 'whole table';
}
