import { PermanentError } from '../connectors/errors';
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
  /** Files the destination had loaded already (a repeated load after a crash). */
  filesSkipped: number;
}

/** Loads the staged files into the shadow table (a repeated load skips the files it holds already). */
export function loadTableActivity(context: ActivityContext) {
  return async function loadTable({ job, prepared, files }: LoadTableInput): Promise<LoadTableResult> {
    const config = pipelineConfig(context, job.pipeline);
    return runActivity((report) =>
      context.destinations.use(config, async (session) => {
        const loads = await session.loadFiles(prepared.shadow, prepared.columns, prepared.stage, files);
        faultPoint('load.after-copy');
        report({ filesDone: loads.length, files: files.length });
        return {
          filesLoaded: loads.filter((load) => load.status === 'loaded').length,
          filesSkipped: loads.filter((load) => load.status === 'skipped').length,
        };
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
      context.destinations.use(config, async (session) => {
        const loaded = await session.countRows(prepared.shadow);
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
