import {
  CancellationScope,
  condition,
  defineSignal,
  executeChild,
  log,
  patched,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { extractBatchWorkflowId, SNAPSHOT_READY_SIGNAL } from '../ids';
import {
  qualifiedName,
  type CursorWindow,
  type PartitionRange,
  type PartitionResult,
  type PreparedTable,
  type SharedSnapshot,
  type TableJob,
  type TableProgress,
} from '../shared';
import { snapshotting } from './activities';
import { extractBatch } from './extract-batch';
import { failureType, failWith, mayPassOnRetry, rootMessage } from './failures';
import { FailureType } from '../failure-types';

/** Partitions per extract batch workflow: about 1,500 history events each, far below the limits. */
export const PARTITIONS_PER_BATCH = 500;

/** Marks table runs that may read under a shared snapshot (older histories replay without one). */
const SHARED_SNAPSHOT_PATCH = 'shared-snapshot';

/** Snapshots established for one table before giving up: each loss means reading every partition again. */
const MAX_SNAPSHOT_GENERATIONS = 5;

/** Marks table runs that try a new snapshot when exporting one failed transiently (older ones failed the table). */
const EXPORT_RETRY_PATCH = 'snapshot-export-retry';

/** Waits 1, 2, 4, 8 s before exporting again: long enough for a restarting source to accept connections. */
function exportRetryDelay(generation: number): number {
  return 1000 * 2 ** generation;
}

export const snapshotReadySignal = defineSignal<[SharedSnapshot]>(SNAPSHOT_READY_SIGNAL);

/** Whether the table's partitions share one snapshot: asked for, or `auto` with page-range partitions. */
export function readsConsistently(job: TableJob, prepared: PreparedTable, partitions: number): boolean {
  const mode = job.snapshot ?? 'auto';
  if (mode === 'auto') return prepared.partitioning.strategy === 'ctid' && partitions > 1;
  return mode === 'consistent';
}

/**
 * Extracts every partition of a table. Consistently: a holder activity exports a snapshot and keeps
 * it open while every partition imports it. If the snapshot is lost before all partitions imported
 * it, partitions already read belong to a snapshot the rest can no longer see, so the table gets a
 * new snapshot and ALL partitions are read again (under file names of the new generation).
 */
export async function extractPartitions(
  job: TableJob,
  prepared: PreparedTable,
  ranges: PartitionRange[],
  progress: TableProgress,
  window?: CursorWindow,
): Promise<PartitionResult[]> {
  // patched(): a table run started by a worker without shared snapshots replays as it ran.
  if (!readsConsistently(job, prepared, ranges.length) || !patched(SHARED_SNAPSHOT_PATCH))
    return extractBatches(job, prepared, ranges, progress, window);
  const snapshots = new Map<number, SharedSnapshot>();
  setHandler(snapshotReadySignal, (snapshot) => void snapshots.set(snapshot.generation, snapshot));
  const source = qualifiedName(job.source);
  for (let generation = 0; ; generation++) {
    const holder = new CancellationScope();
    let holderFailure: unknown;
    let holderEnded = false;
    holder
      .run(() =>
        snapshotting(job).holdSnapshot.executeWithOptions({ summary: `hold snapshot ${generation} of ${source}` }, [
          { job, generation },
        ]),
      )
      .catch((error: unknown) => void (holderFailure = error))
      .finally(() => void (holderEnded = true));
    try {
      await condition(() => snapshots.has(generation) || holderEnded);
      const snapshot = snapshots.get(generation);
      if (!snapshot) {
        // A holder that lost its connection or worker before exporting is a lost generation, not a
        // failed table; one refused for good (permissions, a standby) fails the table at once.
        const lost = mayPassOnRetry(holderFailure) && patched(EXPORT_RETRY_PATCH);
        if (lost && generation + 1 < MAX_SNAPSHOT_GENERATIONS) await sleep(exportRetryDelay(generation));
        throw failWith(
          `exporting a snapshot of ${source}`,
          holderFailure ?? 'the snapshot holder ended without one',
          lost ? FailureType.SnapshotLost : FailureType.SnapshotFailed,
        );
      }
      return await extractBatches(job, prepared, ranges, progress, window, snapshot);
    } catch (error) {
      if (failureType(error) !== FailureType.SnapshotLost) throw error;
      if (generation + 1 >= MAX_SNAPSHOT_GENERATIONS) {
        const advice =
          `check what ends the holder's transaction (backend "conduit snapshot ${source}"): ` +
          `idle_in_transaction_session_timeout, restarts, killed sessions`;
        throw failWith(
          `the shared snapshot of ${source} was lost ${MAX_SNAPSHOT_GENERATIONS} times; ${advice}`,
          error,
          FailureType.SnapshotLost,
        );
      }
      log.warn(
        'shared snapshot lost before every partition read it: establishing a new one and reading all partitions again',
        { table: source, generation, cause: rootMessage(error) },
      );
    } finally {
      holder.cancel();
    }
  }
}

async function extractBatches(
  job: TableJob,
  prepared: PreparedTable,
  ranges: PartitionRange[],
  progress: TableProgress,
  window?: CursorWindow,
  snapshot?: SharedSnapshot,
): Promise<PartitionResult[]> {
  const source = qualifiedName(job.source);
  const partitions: PartitionResult[] = [];
  Object.assign(progress, { partitionsDone: 0, rows: 0, bytes: 0 });
  for (let first = 0; first < ranges.length; first += PARTITIONS_PER_BATCH) {
    const batchId = extractBatchWorkflowId(workflowInfo().workflowId, first);
    progress.activeBatches = [batchId];
    const slice = ranges.slice(first, first + PARTITIONS_PER_BATCH);
    const results = await executeChild(extractBatch, {
      workflowId: batchId,
      staticSummary:
        `extract partitions ${first}–${first + slice.length - 1} of ` +
        `${source}${snapshot ? ` (snapshot ${snapshot.generation})` : ''}`,
      args: [
        {
          job,
          columns: prepared.columns,
          stage: prepared.stage,
          firstPartition: first,
          ranges: slice,
          snapshot,
          window,
        },
      ],
    });
    partitions.push(...results);
    progress.partitionsDone += results.length;
    progress.rows += results.reduce((sum, r) => sum + r.rows, 0);
    progress.bytes += results.reduce((sum, r) => sum + r.bytes, 0);
  }
  progress.activeBatches = [];
  return partitions;
}
