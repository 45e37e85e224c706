import {
  CancellationScope,
  defineQuery,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { ConduitMode, ConduitPipeline, ConduitStatus, ConduitTable } from '../search-attributes';
import {
  initialTableProgress,
  partitionRanges,
  qualifiedName,
  type CursorWindow,
  type PartitionResult,
  type PreparedTable,
  type TableJob,
  type TableProgress,
  type TableResult,
  type TableState,
  warehouseSecondsOf,
} from '../shared';
import { cleaningUp, loading, preparing, publishing } from './activities';
import { extractPartitions } from './extraction';
import { failWith } from './failures';
import { FailureType } from '../failure-types';

export const tableProgressQuery = defineQuery<TableProgress>('progress');

export interface TableRefreshInput {
  job: TableJob;
  runKey: string;
}

/**
 * full_refresh of one table: prepare (shape, partitions, shadow table) → extract every partition to
 * the stage → load the shadow → verify row counts → swap it into place → clean up. The target is
 * touched only by the swap, so a failure or cancellation anywhere before it leaves it as it was.
 */
export async function tableRefresh({ job, runKey }: TableRefreshInput): Promise<TableResult> {
  const tracked = trackTable(job);
  const { progress, enter, summary } = tracked;

  const prepared = await prepareOrFail(tracked, () =>
    preparing(job).prepareTable.executeWithOptions(summary('prepare'), [{ job, runKey }]),
  );
  const ranges = partitionRanges(prepared.partitioning);
  progress.partitions = ranges.length;
  progress.estimatedRows = prepared.estimatedRows;

  return finishTable(job, prepared, tracked, 'target left unchanged', async () => {
    const partitions = await stageAndLoad(job, prepared, progress, enter);
    enter('swapping');
    countWarehouseTime(
      progress,
      await publishing(job).swapTable.executeWithOptions(summary('swap into place'), [{ job, prepared }]),
    );
    return partitions;
  });
}

/**
 * Runs a table's steps after prepare, then drops the run's stage and shadow/staging table whatever
 * happened. A failure or cancellation fails the table, saying what it left as it was (`unchanged`);
 * success returns the result every mode reports.
 */
export async function finishTable(
  job: TableJob,
  prepared: PreparedTable,
  { progress, enter, summary, started }: TrackedTable,
  unchanged: string,
  steps: () => Promise<PartitionResult[]>,
): Promise<TableResult> {
  const source = qualifiedName(job.source);
  const cleanup = cleaningUp(job);
  let partitions: PartitionResult[];
  try {
    partitions = await steps();
  } catch (error) {
    enter('failed');
    progress.error = String(error instanceof Error ? error.message : error);
    await CancellationScope.nonCancellable(() =>
      cleanup.cleanupTable.executeWithOptions(summary('clean up after'), [{ job, prepared }]),
    );
    if (isCancellation(error)) throw error;
    throw failWith(`${source} (${unchanged})`, error, FailureType.TableFailed);
  }

  enter('cleaning');
  countWarehouseTime(progress, await cleanup.cleanupTable.executeWithOptions(summary('clean up'), [{ job, prepared }]));
  enter('succeeded');
  const unrepresentable = job.onUnrepresentable === 'string' ? textColumns(prepared) : sumUnrepresentable(partitions);
  return {
    source,
    target: qualifiedName(job.target),
    status: 'succeeded',
    rows: progress.rows,
    bytes: progress.bytes,
    partitions: progress.partitions,
    seconds: (Date.now() - started) / 1000,
    ...(progress.warehouseSeconds !== undefined ? { warehouseSeconds: progress.warehouseSeconds } : {}),
    ...(unrepresentable ? { unrepresentable: { policy: job.onUnrepresentable, columns: unrepresentable } } : {}),
  };
}

export type TrackedTable = ReturnType<typeof trackTable>;

/** Runs a table's prepare step; its failure fails the table, naming it. */
export async function prepareOrFail<T>(tracked: TrackedTable, prepare: () => Promise<T>): Promise<T> {
  try {
    return countWarehouseTime(tracked.progress, await prepare());
  } catch (error) {
    tracked.enter('failed');
    throw failWith(`preparing ${tracked.progress.source}`, error, FailureType.TableFailed);
  }
}

/** The table's progress query and ConduitStatus search attribute, kept in step by `enter`. */
export function trackTable(job: TableJob) {
  const source = qualifiedName(job.source);
  const progress = initialTableProgress(source, 'preparing');
  setHandler(tableProgressQuery, () => progress);
  upsertSearchAttributes([
    { key: ConduitPipeline, value: job.pipeline },
    { key: ConduitTable, value: source },
    { key: ConduitMode, value: job.mode },
    { key: ConduitStatus, value: progress.state },
  ]);
  /** Every state change is also the ConduitStatus search attribute, so the UI can filter on it. */
  const enter = (state: TableState) => {
    progress.state = state;
    upsertSearchAttributes([{ key: ConduitStatus, value: state }]);
  };
  const summary = (what: string) => ({ summary: `${what} ${source}` });
  return { progress, enter, summary, started: Date.now() };
}

/**
 * Extracts every partition to the stage (in batch child workflows), COPYs the files into the run's
 * shadow/staging table and verifies it holds exactly the rows extracted. Shared by all modes.
 */
export async function stageAndLoad(
  job: TableJob,
  prepared: PreparedTable,
  progress: TableProgress,
  enter: (state: TableState) => void,
  window?: CursorWindow,
): Promise<PartitionResult[]> {
  const source = qualifiedName(job.source);
  const summary = (what: string) => ({ summary: `${what} ${source}` });
  const load = loading(job);
  const ranges = partitionRanges(prepared.partitioning);
  enter('extracting');
  const partitions = await extractPartitions(job, prepared, ranges, progress, window);
  for (const partition of partitions) countWarehouseTime(progress, partition);

  enter('loading');
  const files = partitions.flatMap((p) => (p.file ? [p.file] : []));
  if (files.length > 0)
    countWarehouseTime(
      progress,
      await load.loadTable.executeWithOptions(summary(`load ${files.length} files into`), [{ job, prepared, files }]),
    );

  enter('verifying');
  countWarehouseTime(
    progress,
    await load.verifyTable.executeWithOptions(summary(`verify ${progress.rows} rows of`), [
      { job, prepared, expectedRows: progress.rows },
    ]),
  );
  return partitions;
}

/**
 * Adds the warehouse time an activity's result carries to the table's, and returns the result. Results recorded
 * before the figure existed carry none: they add nothing, so old histories replay as they ran.
 */
export function countWarehouseTime<T>(progress: TableProgress, result: T): T {
  const seconds = warehouseSecondsOf(result);
  if (seconds > 0) progress.warehouseSeconds = (progress.warehouseSeconds ?? 0) + seconds;
  return result;
}

/** Under policy `string`: the columns that landed as text, with the values that made them. */
function textColumns(prepared: PreparedTable): Record<string, number> | undefined {
  const columns = prepared.columns.filter((c) => c.asText);
  return columns.length > 0 ? Object.fromEntries(columns.map((c) => [c.source, c.asText ?? 0])) : undefined;
}

function sumUnrepresentable(partitions: PartitionResult[]): Record<string, number> | undefined {
  const totals: Record<string, number> = {};
  for (const partition of partitions) {
    for (const [column, count] of Object.entries(partition.unrepresentable ?? {}))
      totals[column] = (totals[column] ?? 0) + count;
  }
  return Object.keys(totals).length > 0 ? totals : undefined;
}
