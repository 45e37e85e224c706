import {
  Client,
  Connection,
  WorkflowFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { TemporalSettings } from './config/pipeline';
import { pipelineWorkflowId } from './ids';
import { ConduitPipeline, ConduitStatus } from './search-attributes';
import type {
  ExtractPartitionInput,
  PartitionRange,
  PipelineRunInput,
  PipelineRunResult,
  PipelineStatus,
  TableProgress,
} from './shared';
import { initialTableProgress } from './shared';
import { temporalConnectionOptions } from './temporal-connection';
// Definitions only: loading the workflow modules here runs no workflow code.
import { batchProgressQuery, pipelineRun, pipelineStatusQuery, tableProgressQuery } from './workflows';

export type { PipelineRunInput, PipelineRunResult } from './shared';
export { pipelineWorkflowId } from './ids';

export async function connectClient(temporal: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(temporal));
  // Starts carry the caller's trace context to the workflow (a no-op without a tracer provider).
  return new Client({
    connection,
    namespace: temporal.namespace,
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
  });
}

/**
 * Starts a run, or attaches to the pipeline's run that is already going: two triggers at once never
 * make two runs write the same tables.
 */
export async function startPipelineRun(
  client: Client,
  temporal: TemporalSettings,
  input: PipelineRunInput,
  options: { startedBy?: string } = {},
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const what = input.tables?.length ? input.tables.join(', ') : 'all tables';
  return client.workflow.start(pipelineRun, {
    taskQueue: temporal.taskQueue,
    workflowId: pipelineWorkflowId(input.pipeline),
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    // The workflow sets these itself too (runs started from the Temporal CLI or a schedule); setting
    // them here makes the run findable from its first moment.
    typedSearchAttributes: [
      { key: ConduitPipeline, value: input.pipeline },
      { key: ConduitStatus, value: 'planning' },
    ],
    memo: { startedBy: options.startedBy ?? 'conduit', tables: input.tables ?? 'all' },
    staticSummary: `Conduit pipeline ${input.pipeline}: ${what}`,
  });
}

/** A run's outcome: its result, or for a failed run the per-table results it reported and the reason. */
export type RunOutcome =
  { ok: true; result: PipelineRunResult } | { ok: false; message: string; result?: PipelineRunResult };

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

/**
 * Live progress of a run: the run's table list, and each started table's state and partitions.
 * `runId` is the pipeline run's (its latest run when omitted). A table's workflow ID is the same in
 * every run, so until this run's table workflow starts the ID names the previous run's: a table is
 * shown from its own workflow only once that one is a child of this run, and until then with
 * the run's view of it (preparing, nothing done) rather than the last run's outcome.
 */
export async function runProgress(client: Client, workflowId: string, runId?: string): Promise<RunProgress> {
  const run = client.workflow.getHandle(workflowId, runId);
  const status = await run.query(pipelineStatusQuery);
  const parentRunId = runId ?? (await run.describe()).runId;
  const tables = await Promise.all(
    status.tables.filter((t) => t.state !== 'pending').map((t) => tableProgressInRun(client, t, parentRunId)),
  );
  return { status, tables };
}

async function tableProgressInRun(
  client: Client,
  entry: PipelineStatus['tables'][number],
  parentRunId: string,
): Promise<TableProgress> {
  const notStarted = initialTableProgress(entry.source, entry.state);
  try {
    const tableRun = await childOf(client, entry.workflowId, parentRunId);
    if (!tableRun) return notStarted;
    const table = await tableRun.handle.query(tableProgressQuery);
    for (const batchId of table.activeBatches) {
      const batchRun = await childOf(client, batchId, tableRun.runId).catch(() => undefined);
      const batch = await batchRun?.handle.query(batchProgressQuery).catch(() => undefined);
      if (batch) {
        table.partitionsDone += batch.partitionsDone;
        table.rows += batch.rows;
        table.bytes += batch.bytes;
      }
    }
    return table;
  } catch {
    // Not started yet, or its first workflow task has not run: nothing to show beyond the run's view.
    return notStarted;
  }
}

/** The latest run of `workflowId` when it is a child of run `parentRunId` (child IDs repeat across runs). */
async function childOf(
  client: Client,
  workflowId: string,
  parentRunId: string,
): Promise<{ runId: string; handle: WorkflowHandle } | undefined> {
  const latest = await client.workflow.getHandle(workflowId).describe();
  if (latest.parentExecution?.runId !== parentRunId) return undefined;
  return { runId: latest.runId, handle: client.workflow.getHandle(workflowId, latest.runId) };
}

/** An extract partition in flight, from its batch workflow's pending activities and their heartbeats. */
export interface PartitionProgress {
  partition?: number;
  range?: string;
  /** Activity state as Temporal reports it (SCHEDULED, STARTED, CANCEL_REQUESTED). */
  state: string;
  /** What the last heartbeat said: `extract` or `upload`. */
  phase?: string;
  rows?: number;
  bytes?: number;
  attempt: number;
  lastFailure?: string;
}

/**
 * The partitions a batch workflow is extracting now: its pending activities, their last heartbeat
 * (rows, bytes, phase) and, from the batch's history, which partition and range each one is.
 */
export async function activePartitions(client: Client, batchWorkflowId: string): Promise<PartitionProgress[]> {
  const handle = client.workflow.getHandle(batchWorkflowId);
  const description = await handle.describe();
  const pending = (description.raw.pendingActivities ?? []).filter((a) => a.activityType?.name === 'extractPartition');
  if (pending.length === 0) return [];
  const inputs = new Map<string, ExtractPartitionInput>();
  for (const event of (await handle.fetchHistory()).events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    const payload = scheduled?.input?.payloads?.[0];
    if (scheduled?.activityId && payload) inputs.set(scheduled.activityId, decode<ExtractPartitionInput>(payload));
  }
  return pending
    .map((activity) => {
      const input = activity.activityId ? inputs.get(activity.activityId) : undefined;
      const beat = activity.heartbeatDetails?.payloads?.[0];
      const details = beat ? decode<{ rows?: number; bytes?: number; phase?: string }>(beat) : {};
      const state = PENDING_ACTIVITY_STATES[Number(activity.state ?? 0)] ?? 'UNKNOWN';
      return {
        partition: input?.partition,
        range: input ? describePartitionRange(input.range) : undefined,
        state,
        phase: details.phase,
        rows: details.rows,
        bytes: details.bytes,
        attempt: activity.attempt ?? 1,
        lastFailure: activity.lastFailure?.message ?? undefined,
      };
    })
    .sort((a, b) => (a.partition ?? 0) - (b.partition ?? 0));
}

/** temporal.api.enums.v1.PendingActivityState, by number. */
const PENDING_ACTIVITY_STATES: Record<number, string> = {
  1: 'SCHEDULED',
  2: 'STARTED',
  3: 'CANCEL_REQUESTED',
  4: 'PAUSED',
  5: 'PAUSE_REQUESTED',
};

function decode<T>(payload: Payload): T {
  return defaultPayloadConverter.fromPayload<T>(payload);
}

function describePartitionRange(range: PartitionRange): string {
  const what = range.strategy === 'key' ? `"${range.column}"` : 'page';
  const parts = [
    range.from === undefined ? '' : `${what} >= ${range.from}`,
    range.to === undefined ? '' : `${what} < ${range.to}`,
  ];
  return parts.filter(Boolean).join(' and ') || 'whole table';
}
