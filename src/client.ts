import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TemporalSettings } from './config/pipeline';
import type { BatchProgress, PipelineRunInput, PipelineRunResult, PipelineStatus, TableProgress } from './shared';

export type { PipelineRunInput, PipelineRunResult } from './shared';

/** Workflow ID of a pipeline's run: one per pipeline, so a second trigger joins the running one. */
export function pipelineWorkflowId(pipeline: string): string {
  return `conduit/${pipeline}`;
}

export async function connectClient(temporal: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect({ address: temporal.address });
  return new Client({ connection, namespace: temporal.namespace });
}

/**
 * Starts a run, or attaches to the pipeline's run that is already going: two triggers at once never
 * make two runs write the same tables.
 */
export async function startPipelineRun(client: Client, temporal: TemporalSettings, input: PipelineRunInput): Promise<WorkflowHandle> {
  return client.workflow.start('pipelineRun', {
    taskQueue: temporal.taskQueue,
    workflowId: pipelineWorkflowId(input.pipeline),
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
}

/** A run's outcome: its result, or for a failed run the per-table results it reported and the reason. */
export type RunOutcome = { ok: true; result: PipelineRunResult } | { ok: false; message: string; result?: PipelineRunResult };

export async function waitForRun(handle: WorkflowHandle): Promise<RunOutcome> {
  try {
    return { ok: true, result: (await handle.result()) as PipelineRunResult };
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      const cause = error.cause;
      const details = cause instanceof ApplicationFailure ? cause.details : undefined;
      const result = details?.[0] as PipelineRunResult | undefined;
      return { ok: false, message: cause ? rootCause(cause) : error.message, result };
    }
    throw error;
  }
}

/** The innermost cause's message, which names what went wrong rather than where it was wrapped. */
function rootCause(error: Error): string {
  let current: Error = error;
  while (current.cause instanceof Error && current.cause.message) current = current.cause;
  return current === error ? error.message : `${error.message} (${current.message})`;
}

export interface RunProgress {
  status: PipelineStatus;
  tables: TableProgress[];
}

/** Live progress of a run: the run's table list, each table's state and the partitions extracting now. */
export async function runProgress(client: Client, workflowId: string): Promise<RunProgress> {
  const status = await client.workflow.getHandle(workflowId).query<PipelineStatus>('status');
  const tables = await Promise.all(
    status.tables
      .filter((t) => t.state !== 'pending')
      .map(async (t) => {
        try {
          const table = await client.workflow.getHandle(t.workflowId).query<TableProgress>('progress');
          for (const batchId of table.activeBatches) {
            const batch = await client.workflow.getHandle(batchId).query<BatchProgress>('progress').catch(() => undefined);
            if (batch) {
              table.partitionsDone += batch.partitionsDone;
              table.rows += batch.rows;
              table.bytes += batch.bytes;
            }
          }
          return table;
        } catch {
          return undefined;
        }
      }),
  );
  return { status, tables: tables.filter((t): t is TableProgress => t !== undefined) };
}
