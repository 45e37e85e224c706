import { tableRef, type TableRef } from '../connectors/snowflake/dialect';
import {
  appendSql,
  mergeSql,
  settleFullLoadSql,
  STATE_TABLE,
  type MergeShape,
} from '../connectors/snowflake/incremental-sql';
import { faultPoint } from '../faults';
import { qualifiedName, type PreparedIncremental, type TableJob } from '../shared';
import { pipelineConfig, runActivity, type ActivityContext } from './context';
import { incrementalSpec, targetName } from './prepare-incremental';
import { evolveStateTable, inTransaction, readState, writeState } from './state';

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
    const database = config.destination.database;
    return runActivity(() =>
      context.snowflake.use(config, async (session) => {
        const state = tableRef(database, { schema: job.target.schema, name: STATE_TABLE });
        // A run an older worker prepared may find a state table without the newer columns.
        await evolveStateTable(session, state);
        const committed = await readState(session, state, job.target.name);
        if (committed?.marker === prepared.runMarker) return 'already-committed';
        const target = tableRef(database, job.target);
        const staging = tableRef(database, prepared.shadow);
        const cursor = prepared.window.high ?? committed?.cursor ?? null;
        await inTransaction(session, async () => {
          if (!prepared.full) await session.query(applySql(job, prepared, target, staging));
          await writeState(session, state, {
            table: job.target.name,
            source: qualifiedName(job.source),
            mode: job.mode,
            cursor,
            marker: prepared.runMarker,
            // Absent when an older worker prepared the run: the next window then has the look-back only.
            snapshotXmin: prepared.snapshotXmin ?? null,
          });
        });
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
    const { key, cursor, deleteWhen } = mergeShape(job, prepared);
    await runActivity(() =>
      context.snowflake.use(config, async (session) => {
        await session.query(
          settleFullLoadSql(tableRef(config.destination.database, prepared.shadow), { key, cursor, deleteWhen }),
        );
      }),
    );
  };
}

function applySql(job: TableJob, prepared: PreparedIncremental, target: TableRef, staging: TableRef): string {
  const shape = mergeShape(job, prepared);
  if (job.mode === 'incremental_append') {
    const identity = prepared.key.length > 0 ? [...prepared.key, shape.cursor] : prepared.columns.map((c) => c.target);
    return appendSql(target, staging, prepared.columns, identity, shape.cursor);
  }
  return mergeSql(target, staging, shape);
}

function mergeShape(job: TableJob, prepared: PreparedIncremental): MergeShape {
  const soft = incrementalSpec(job).softDelete;
  const softColumn = soft?.action === 'delete' ? prepared.columns.find((c) => c.source === soft.column) : undefined;
  return {
    columns: prepared.columns,
    key: prepared.key,
    cursor: targetName(prepared.columns, incrementalSpec(job).cursor),
    dropped: prepared.dropped,
    ...(softColumn ? { deleteWhen: { column: softColumn.target, boolean: softColumn.type.kind === 'boolean' } } : {}),
  };
}
