/**
 * Reads where a run's time went from its workflow histories (the run, its table workflows and
 * their extract batches): every activity's scheduled/started/closed timestamps, and the windows of
 * the table workflow's stages. Server-side timestamps only, so the figures do not depend on when
 * the client happened to look.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { PreparedTable, TableJob } from '../shared';
import type { Timeline } from './types';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface ActivitySpan {
  type: string;
  workflowId: string;
  scheduled: number;
  started?: number;
  closed?: number;
}

export interface RunHistory {
  /** pipelineRun's start and close (ms since the epoch, server clock). */
  started: number;
  closed: number;
  activities: ActivitySpan[];
  /** From the table workflow: prepare finished → last extract batch finished. */
  extractStage?: { from: number; to: number };
  /** The prepare activity's input and result, which name the exact SELECT the extract ran. */
  prepared?: { job: TableJob; table: PreparedTable };
}

/** Collects the histories of a run and of every child workflow it started, recursively. */
export async function readRunHistory(client: Client, workflowId: string): Promise<RunHistory> {
  const activities: ActivitySpan[] = [];
  let root: { started: number; closed: number } | undefined;
  let extractStage: RunHistory['extractStage'];
  let prepared: RunHistory['prepared'];

  const pending: { workflowId: string; runId?: string }[] = [{ workflowId }];
  while (pending.length > 0) {
    const next = pending.shift()!;
    const history = await client.workflow.getHandle(next.workflowId, next.runId).fetchHistory();
    const events = history.events ?? [];
    const info = readWorkflow(next.workflowId, events);
    activities.push(...info.activities);
    pending.push(...info.children);
    if (!root) root = { started: info.started, closed: info.closed };
    if (info.extractStage) extractStage = info.extractStage;
    if (info.prepared) prepared = info.prepared;
  }
  if (!root) throw new Error(`no history for ${workflowId}`);
  return { ...root, activities, extractStage, prepared };
}

function time(event: HistoryEvent): number {
  return tsToMs(event.eventTime);
}

/** Event ids are protobuf int64s (Long objects or numbers). */
function eventId(value: { toString(): string } | number | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value.toString());
}

function decode<T>(payloads: temporal.api.common.v1.IPayloads | null | undefined): T | undefined {
  const payload = payloads?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<T>(payload) : undefined;
}

function readWorkflow(workflowId: string, events: HistoryEvent[]) {
  const byScheduled = new Map<number, ActivitySpan>();
  const inputs = new Map<number, unknown>();
  const children: { workflowId: string; runId?: string }[] = [];
  let started = Number.NaN;
  let closed = Number.NaN;
  let prepareDone: number | undefined;
  let lastChildDone: number | undefined;
  let prepared: RunHistory['prepared'];

  for (const event of events) {
    const at = time(event);
    if (event.workflowExecutionStartedEventAttributes) started = at;
    else if (
      event.workflowExecutionCompletedEventAttributes ||
      event.workflowExecutionFailedEventAttributes ||
      event.workflowExecutionCanceledEventAttributes ||
      event.workflowExecutionTerminatedEventAttributes ||
      event.workflowExecutionTimedOutEventAttributes ||
      event.workflowExecutionContinuedAsNewEventAttributes
    ) {
      closed = at;
    } else if (event.activityTaskScheduledEventAttributes) {
      const attributes = event.activityTaskScheduledEventAttributes;
      const span: ActivitySpan = { type: attributes.activityType?.name ?? '?', workflowId, scheduled: at };
      byScheduled.set(eventId(event.eventId), span);
      if (span.type === 'prepareTable') inputs.set(eventId(event.eventId), decode(attributes.input));
    } else if (event.activityTaskStartedEventAttributes) {
      const span = byScheduled.get(eventId(event.activityTaskStartedEventAttributes.scheduledEventId));
      if (span) span.started = at;
    } else {
      const closing =
        event.activityTaskCompletedEventAttributes ??
        event.activityTaskFailedEventAttributes ??
        event.activityTaskTimedOutEventAttributes ??
        event.activityTaskCanceledEventAttributes;
      if (closing) {
        const scheduledId = eventId(closing.scheduledEventId);
        const span = byScheduled.get(scheduledId);
        if (span) {
          span.closed = at;
          if (span.type === 'prepareTable' && event.activityTaskCompletedEventAttributes) {
            prepareDone = at;
            const job = (inputs.get(scheduledId) as { job?: TableJob } | undefined)?.job;
            const table = decode<PreparedTable>(event.activityTaskCompletedEventAttributes.result);
            if (job && table) prepared = { job, table };
          }
        }
      }
      const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId) children.push({ workflowId: child.workflowId, runId: child.runId ?? undefined });
      if (event.childWorkflowExecutionCompletedEventAttributes && prepareDone !== undefined) lastChildDone = at;
    }
  }
  return {
    started,
    closed,
    activities: [...byScheduled.values()],
    children,
    prepared,
    extractStage:
      prepareDone !== undefined && lastChildDone !== undefined ? { from: prepareDone, to: lastChildDone } : undefined,
  };
}

/** The run's time split into activity time and the time Temporal spent between and around them. */
export function timeline(run: RunHistory): Timeline {
  const workflowSeconds = (run.closed - run.started) / 1000;
  const ran = run.activities.flatMap((a) =>
    a.started !== undefined && a.closed !== undefined ? [{ type: a.type, span: [a.started, a.closed] as const }] : [],
  );
  const activitySeconds = unionMs(ran.map((a) => a.span)) / 1000;
  const scheduleToStartSeconds =
    run.activities.reduce((sum, a) => sum + (a.started !== undefined ? a.started - a.scheduled : 0), 0) / 1000;
  const activities: Timeline['activities'] = {};
  for (const type of new Set(run.activities.map((a) => a.type))) {
    const spans = ran.filter((a) => a.type === type).map((a) => a.span);
    activities[type] = {
      count: run.activities.filter((a) => a.type === type).length,
      seconds: unionMs(spans) / 1000,
      maxSeconds: Math.max(0, ...spans.map(([from, to]) => (to - from) / 1000)),
    };
  }
  return {
    workflowSeconds,
    activitySeconds,
    temporalSeconds: Math.max(0, workflowSeconds - activitySeconds),
    scheduleToStartSeconds,
    activities,
  };
}

/** Total length of the union of [from, to] intervals. */
export function unionMs(intervals: readonly (readonly [number, number])[]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [from, to] of sorted) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total;
}
