import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { executeChild, isCancellation, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { pipelineWorkflowId } from '../ids';
import { ConduitPipeline, ConduitStatus, type RunStatus } from '../search-attributes';
import type { PipelineRunInput, PipelineRunResult } from '../shared';
import { pipelineRun } from './pipeline-run';

/** What a scheduled trigger did: ran the pipeline, or skipped because a run of it was already going. */
export type ScheduledRunResult =
  | { outcome: 'ran'; runWorkflowId: string; result: PipelineRunResult }
  | { outcome: 'skipped'; runWorkflowId: string; reason: string };

/**
 * The action of a Conduit schedule. Temporal gives every scheduled start its own workflow ID
 * (`<schedule id>/trigger-<time>`), which would let a scheduled run and a `conduit run` of the same
 * pipeline write the same tables at once. This thin workflow runs the pipeline as the child
 * `conduit/<pipeline>` instead: the ID every trigger shares. If that run is already going (started by
 * hand, from the Temporal CLI or by another schedule) this trigger is recorded as skipped.
 * It lasts as long as the run, so the schedule's overlap policy (SKIP by default) sees it running.
 */
export async function scheduledPipelineRun(input: PipelineRunInput): Promise<ScheduledRunResult> {
  const runWorkflowId = pipelineWorkflowId(input.pipeline);
  const set = (status: RunStatus) =>
    upsertSearchAttributes([
      { key: ConduitPipeline, value: input.pipeline },
      { key: ConduitStatus, value: status },
    ]);
  set('running');
  try {
    const result = await executeChild(pipelineRun, {
      workflowId: runWorkflowId,
      args: [input],
      // Cancelling or terminating the trigger cancels the run, which then cleans up after itself.
      parentClosePolicy: 'REQUEST_CANCEL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `pipeline ${input.pipeline}, started by ${workflowInfo().workflowId}`,
    });
    set('succeeded');
    return { outcome: 'ran', runWorkflowId, result };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      set('skipped');
      return { outcome: 'skipped', runWorkflowId, reason: `${runWorkflowId} was already running` };
    }
    set(isCancellation(error) ? 'cancelled' : 'failed');
    throw error;
  }
}
