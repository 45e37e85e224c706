import { PermanentError } from '../connectors/errors';
import { field, valueText } from '../connectors/snowflake/connection';
import { copyIntoSql, countRowsSql, MAX_FILES_PER_COPY, tableRef } from '../connectors/snowflake/dialect';
import { faultPoint } from '../faults';
import { qualifiedName, type PreparedTable, type TableJob } from '../shared';
import { runActivity, pipelineConfig, type ActivityContext } from './context';
import { FailureType } from '../failure-types';

export interface LoadTableInput {
  job: TableJob;
  prepared: PreparedTable;
  files: string[];
}

export interface LoadTableResult {
  filesLoaded: number;
  /** Files Snowflake had loaded already (a repeated load after a crash). */
  filesSkipped: number;
}

/** COPYs the staged files into the shadow table, at most 1,000 files per statement. */
export function loadTableActivity(context: ActivityContext) {
  return async function loadTable({ job, prepared, files }: LoadTableInput): Promise<LoadTableResult> {
    const config = pipelineConfig(context, job.pipeline);
    return runActivity((report) =>
      context.snowflake.use(config, async (session) => {
        const database = config.destination.database;
        const result: LoadTableResult = { filesLoaded: 0, filesSkipped: 0 };
        for (let start = 0; start < files.length; start += MAX_FILES_PER_COPY) {
          const chunk = files.slice(start, start + MAX_FILES_PER_COPY);
          const rows = await session.query(
            copyIntoSql(
              tableRef(database, prepared.shadow),
              prepared.columns,
              tableRef(database, prepared.stage),
              chunk,
            ),
          );
          for (const row of rows) {
            const status = (valueText(field(row, 'status')) ?? '').toUpperCase();
            if (status === 'LOADED') result.filesLoaded++;
            else if (status === 'LOAD_SKIPPED') result.filesSkipped++;
            else if (field(row, 'file') !== undefined) {
              throw new PermanentError(
                `loading ${String(field(row, 'file'))} into ${qualifiedName(prepared.shadow)} ended with ` +
                  `status ${status}: ${valueText(field(row, 'first_error')) ?? ''}`,
                FailureType.LoadFailed,
              );
            }
          }
          faultPoint('load.after-copy');
          report({ filesDone: start + chunk.length, files: files.length });
        }
        return result;
      }),
    );
  };
}

export interface VerifyTableInput {
  job: TableJob;
  prepared: PreparedTable;
  expectedRows: number;
}

/** The shadow table must hold exactly the rows the partitions extracted; anything else stops the swap. */
export function verifyTableActivity(context: ActivityContext) {
  return async function verifyTable({ job, prepared, expectedRows }: VerifyTableInput): Promise<number> {
    const config = pipelineConfig(context, job.pipeline);
    return runActivity(() =>
      context.snowflake.use(config, async (session) => {
        const [row] = await session.query(countRowsSql(tableRef(config.destination.database, prepared.shadow)));
        const loaded = Number(field(row, 'rows'));
        if (loaded !== expectedRows) {
          throw new PermanentError(
            `verification failed for ${qualifiedName(job.source)}: extracted ${expectedRows} rows but ` +
              `${qualifiedName(prepared.shadow)} holds ${loaded}; the target was left untouched`,
            FailureType.VerificationFailed,
          );
        }
        return loaded;
      }),
    );
  };
}
