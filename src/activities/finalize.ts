import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PermanentError } from '../connectors/errors';
import { faultPoint } from '../faults';
import { qualifiedName, type PreparedTable, type TableJob } from '../shared';
import { runActivity, pipelineConfig, type ActivityContext } from './context';
import { FailureType } from '../failure-types';

export interface FinalizeInput {
  job: TableJob;
  prepared: PreparedTable;
}

export type SwapOutcome = 'swapped' | 'renamed' | 'already-swapped';

/**
 * Puts the verified shadow table in the target's place in one atomic step: readers see the old
 * table or the new one, never an empty or partial one. The shadow carries the run's marker, so a
 * repeated swap (after a crash before the activity reported) sees it on the target and stops.
 */
export function swapTableActivity(context: ActivityContext) {
  return async function swapTable({ job, prepared }: FinalizeInput): Promise<SwapOutcome> {
    const config = pipelineConfig(context, job.pipeline);
    return runActivity(() =>
      context.destinations.use(config, async (session) => {
        const targetMarker = await session.tableMarker(job.target);
        if (targetMarker === prepared.runMarker) return 'already-swapped';
        const shadowMarker = await session.tableMarker(prepared.shadow);
        if (shadowMarker !== prepared.runMarker) {
          throw new PermanentError(
            `shadow table ${qualifiedName(prepared.shadow)} of this run is missing, so ` +
              `${qualifiedName(job.target)} cannot be replaced; rerun the pipeline`,
            FailureType.ShadowMissing,
          );
        }
        faultPoint('swap.before');
        const targetExists = targetMarker !== undefined;
        await session.replaceTable(job.target, prepared.shadow, targetExists);
        faultPoint('swap.after');
        return targetExists ? 'swapped' : 'renamed';
      }),
    );
  };
}

/**
 * Drops the run's shadow table (after a swap it holds the previous content) and staging area, and
 * local files. Each step tolerates having been done already, so cleanup can run any number of times.
 */
export function cleanupTableActivity(context: ActivityContext) {
  return async function cleanupTable({ job, prepared }: FinalizeInput): Promise<void> {
    const config = pipelineConfig(context, job.pipeline);
    await runActivity(() =>
      context.destinations.use(config, async (session) => {
        await session.dropTable(prepared.shadow);
        faultPoint('cleanup.during');
        await session.dropStagingArea(prepared.stage);
      }),
    );
    await rm(join(context.workDir, prepared.stage.name), { recursive: true, force: true });
  };
}
