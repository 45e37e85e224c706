import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PermanentError } from '../connectors/errors';
import { field, valueText, type SnowflakeSession } from '../connectors/snowflake/connection';
import {
  dropStageSql,
  dropTableSql,
  renameSql,
  swapSql,
  tableCommentSql,
  tableRef,
  tableSql,
} from '../connectors/snowflake/dialect';
import { withPrivilege } from '../connectors/snowflake/privileges';
import { faultPoint } from '../faults';
import { qualifiedName, type PreparedTable, type QualifiedName, type TableJob } from '../shared';
import { runActivity, pipelineConfig, type ActivityContext } from './context';
import { FailureType } from '../failure-types';

export interface FinalizeInput {
  job: TableJob;
  prepared: PreparedTable;
}

export type SwapOutcome = 'swapped' | 'renamed' | 'already-swapped';

/**
 * Puts the verified shadow table in the target's place in one atomic statement: readers see the old
 * table or the new one, never an empty or partial one. The shadow carries the run's marker as its
 * comment, so a repeated swap (after a crash before the activity reported) sees it done and stops.
 */
export function swapTableActivity(context: ActivityContext) {
  return async function swapTable({ job, prepared }: FinalizeInput): Promise<SwapOutcome> {
    const config = pipelineConfig(context, job.pipeline);
    const database = config.destination.database;
    return runActivity(() =>
      context.snowflake.use(config, async (session) => {
        const targetComment = await tableComment(session, database, job.target);
        if (targetComment === prepared.runMarker) return 'already-swapped';
        const shadowComment = await tableComment(session, database, prepared.shadow);
        if (shadowComment !== prepared.runMarker) {
          throw new PermanentError(
            `shadow table ${qualifiedName(prepared.shadow)} of this run is missing, so ` +
              `${qualifiedName(job.target)} cannot be replaced; rerun the pipeline`,
            FailureType.ShadowMissing,
          );
        }
        const target = tableRef(database, job.target);
        const shadow = tableRef(database, prepared.shadow);
        faultPoint('swap.before');
        const outcome = targetComment === undefined ? 'renamed' : 'swapped';
        // SWAP needs OWNERSHIP of both tables and RENAME of the shadow; this run's role created the shadow.
        const owned = outcome === 'renamed' ? shadow : target;
        await withPrivilege(session, { privilege: 'OWNERSHIP', kind: 'TABLE', object: tableSql(owned) }, () =>
          session.query(outcome === 'renamed' ? renameSql(shadow, target) : swapSql(target, shadow)),
        );
        faultPoint('swap.after');
        return outcome;
      }),
    );
  };
}

/**
 * Drops the run's shadow table (after a swap it holds the previous content) and stage, and local
 * files. Each step tolerates having been done already, so cleanup can run any number of times.
 */
export function cleanupTableActivity(context: ActivityContext) {
  return async function cleanupTable({ job, prepared }: FinalizeInput): Promise<void> {
    const config = pipelineConfig(context, job.pipeline);
    const database = config.destination.database;
    await runActivity(() =>
      context.snowflake.use(config, async (session) => {
        await session.query(dropTableSql(tableRef(database, prepared.shadow)));
        faultPoint('cleanup.during');
        await session.query(dropStageSql(tableRef(database, prepared.stage)));
      }),
    );
    await rm(join(context.workDir, prepared.stage.name), { recursive: true, force: true });
  };
}

/** The table's comment, '' when it has none, undefined when the table does not exist. */
async function tableComment(
  session: SnowflakeSession,
  database: string,
  table: QualifiedName,
): Promise<string | undefined> {
  const [row] = await session.query(tableCommentSql(database), [table.schema, table.name]);
  return row ? (valueText(field(row, 'comment')) ?? '') : undefined;
}
