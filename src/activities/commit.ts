import type { BatchShape } from '../connectors/destination';
import { faultPoint } from '../faults';
import { qualifiedName, type PreparedIncremental, type TableJob } from '../shared';
import { pipelineConfig, runActivity, type ActivityContext } from './context';
import { incrementalSpec, targetName } from './prepare-incremental';

export interface CommitIncrementalInput {
  job: TableJob;
  prepared: PreparedIncremental;
}

export type CommitOutcome = 'committed' | 'already-committed';

/**
 * Applies a verified batch and advances the cursor in ONE transaction: the target never holds rows
 * the cursor does not cover, and the cursor is never ahead of the rows. A repeated commit (a crash
 * after COMMIT, before the activity reported) finds this run's marker in the state row and stops.
 * After a full reload the rows were swapped in already; only the state is written here (a crash in
 * between leaves the old cursor, which re-reads rows that append and merge apply idempotently).
 */
export function commitIncrementalActivity(context: ActivityContext) {
  return async function commitIncremental({ job, prepared }: CommitIncrementalInput): Promise<CommitOutcome> {
    const config = pipelineConfig(context, job.pipeline);
    return runActivity(() =>
      context.destinations.use(config, async (session) => {
        // A run an older worker prepared may find a state table without the newer columns.
        await session.ensureStateTable(job.target.schema);
        const committed = await session.readState(job.target.schema, job.target.name);
        if (committed?.marker === prepared.runMarker) return 'already-committed';
        const batch = prepared.full
          ? undefined
          : { target: job.target, staging: prepared.shadow, shape: batchShape(job, prepared) };
        await session.commitBatch(
          job.target.schema,
          {
            table: job.target.name,
            source: qualifiedName(job.source),
            mode: job.mode,
            cursor: prepared.window.high ?? committed?.cursor ?? null,
            marker: prepared.runMarker,
            // Absent when an older worker prepared the run: the next window then has the look-back only.
            snapshotXmin: prepared.snapshotXmin ?? null,
          },
          batch,
        );
        faultPoint('commit.after');
        return 'committed';
      }),
    );
  };
}

/**
 * Before a full load of a merge table is swapped in: its staging table is rewritten to one row per
 * key and without soft-deleted rows, as merging it into an empty target would leave it.
 */
export function settleFullLoadActivity(context: ActivityContext) {
  return async function settleFullLoad({ job, prepared }: CommitIncrementalInput): Promise<void> {
    const config = pipelineConfig(context, job.pipeline);
    await runActivity(() =>
      context.destinations.use(config, (session) => session.settleFullLoad(prepared.shadow, batchShape(job, prepared))),
    );
  };
}

function batchShape(job: TableJob, prepared: PreparedIncremental): BatchShape {
  const spec = incrementalSpec(job);
  const soft = spec.softDelete;
  const softColumn = soft?.action === 'delete' ? prepared.columns.find((c) => c.source === soft.column) : undefined;
  const cursor = targetName(prepared.columns, spec.cursor);
  return {
    mode: job.mode === 'incremental_append' ? 'incremental_append' : 'incremental_merge',
    columns: prepared.columns,
    key: prepared.key,
    cursor,
    identity: prepared.key.length > 0 ? [...prepared.key, cursor] : prepared.columns.map((c) => c.target),
    dropped: prepared.dropped,
    ...(softColumn ? { deleteWhen: { column: softColumn.target, boolean: softColumn.type.kind === 'boolean' } } : {}),
  };
}
