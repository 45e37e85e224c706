/**
 * Identifiers operators see in Temporal (workflow and schedule IDs, the snapshot signal and failure
 * type). Workflow-safe: no imports, so workflows, activities, the client and the CLI share one
 * definition.
 */

/**
 * Workflow ID of a pipeline's run: one per pipeline. Every way of starting a run (`conduit run`,
 * `temporal workflow start --id-conflict-policy UseExisting`, a schedule) uses it, so a second
 * trigger joins the running run instead of starting another that would write the same tables.
 */
export function pipelineWorkflowId(pipeline: string): string {
  return `conduit/${pipeline}`;
}

/** Child workflow of one table in a run: reads well in the UI and is stable across a resumed run. */
export function tableWorkflowId(runWorkflowId: string, source: string): string {
  return `${runWorkflowId}/${source}`;
}

/** Child workflow extracting a table's partitions from `firstPartition` on. */
export function extractBatchWorkflowId(tableWorkflowId: string, firstPartition: number): string {
  return `${tableWorkflowId}/partitions-${firstPartition}`;
}

/** Schedule ID `conduit schedule create` uses for a pipeline unless told another. */
export function defaultScheduleId(pipeline: string): string {
  return `conduit-schedule/${pipeline}`;
}

/**
 * Workflow ID a schedule gives its actions; Temporal appends `-<scheduled time>` to it, so each
 * scheduled trigger is its own `scheduledPipelineRun` workflow, which runs the pipeline as the
 * child `conduit/<pipeline>`.
 */
export function scheduleActionWorkflowId(scheduleId: string): string {
  return `${scheduleId}/trigger`;
}

/** Signal by which a table's snapshot holder hands the exported snapshot's ID to its table workflow. */
export const SNAPSHOT_READY_SIGNAL = 'snapshotReady';
