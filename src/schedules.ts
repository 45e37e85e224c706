/**
 * Pipelines on Temporal Schedules. A Conduit schedule starts `scheduledPipelineRun`, which runs the
 * pipeline as the child `conduit/<pipeline>`, the workflow ID every trigger shares. Two guards keep
 * runs of one pipeline from overlapping:
 *  - the schedule's overlap policy (SKIP unless told otherwise) between this schedule's own triggers:
 *    a trigger lasts as long as its run, so while it runs the next one is skipped (or, with
 *    BUFFER_ONE, held and started when it ends);
 *  - the shared run ID against everything else (`conduit run`, `temporal workflow start`, a second
 *    schedule of the same pipeline): a trigger that finds the run going records `skipped` and ends,
 *    and a `conduit run` during a scheduled run joins it.
 */
import type {
  Client,
  ScheduleDescription,
  ScheduleHandle,
  ScheduleOptions,
  ScheduleOverlapPolicy,
  ScheduleSummary,
} from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import type { TemporalSettings } from './config/pipeline';
import { defaultScheduleId, scheduleActionWorkflowId } from './ids';
import { ConduitPipeline } from './search-attributes';
import type { PipelineRunInput } from './shared';
import { scheduledPipelineRun } from './workflows/scheduled-run';

/** Overlap policies offered: the two that never run two triggers of one schedule at once. */
export type OverlapOption = 'skip' | 'buffer-one';

const OVERLAP: Record<OverlapOption, ScheduleOverlapPolicy> = { skip: 'SKIP', 'buffer-one': 'BUFFER_ONE' };

export interface PipelineScheduleOptions {
  pipeline: string;
  /** Source tables (`schema.table`); all the pipeline's tables when absent. */
  tables?: string[];
  /** Defaults to `conduit-schedule/<pipeline>`; give another to keep several schedules of one pipeline. */
  scheduleId?: string;
  /** An interval such as `1h`, `15m`, `30s` (exactly one of every and cron). */
  every?: string;
  /** A cron expression such as `0 2 * * *` (exactly one of every and cron). */
  cron?: string;
  /** IANA time zone for cron (e.g. `Europe/Berlin`); UTC when absent. */
  timeZone?: string;
  /** Random delay up to this long added to each start, such as `5m`, to spread load. */
  jitter?: string;
  /** What to do when a trigger comes while the previous one still runs. Default `skip`. */
  overlap?: OverlapOption;
  /** Pause the schedule when a run fails, until someone unpauses it. */
  pauseOnFailure?: boolean;
  /** Create it paused. */
  paused?: boolean;
  note?: string;
}

export class ScheduleOptionsError extends Error {}

/** The Temporal schedule for a pipeline (validated; pure, so it is unit-tested). */
export function pipelineScheduleOptions(temporal: TemporalSettings, options: PipelineScheduleOptions): ScheduleOptions {
  if ((options.every === undefined) === (options.cron === undefined)) {
    throw new ScheduleOptionsError('give exactly one of --every DURATION and --cron EXPRESSION');
  }
  if (options.every !== undefined) checkDuration('--every', options.every);
  if (options.jitter !== undefined) checkDuration('--jitter', options.jitter);
  if (options.cron !== undefined && options.cron.trim().split(/\s+/).length < 5) {
    throw new ScheduleOptionsError(
      `--cron "${options.cron}" is not a cron expression (minute hour day-of-month month day-of-week)`,
    );
  }
  const overlap = options.overlap ?? 'skip';
  if (!(overlap in OVERLAP)) throw new ScheduleOptionsError(`--overlap must be skip or buffer-one, not "${overlap}"`);
  const scheduleId = options.scheduleId ?? defaultScheduleId(options.pipeline);
  const input: PipelineRunInput = {
    pipeline: options.pipeline,
    ...(options.tables?.length ? { tables: options.tables } : {}),
  };
  return {
    scheduleId,
    spec: {
      ...(options.every !== undefined
        ? { intervals: [{ every: options.every }] }
        : { cronExpressions: [options.cron ?? ''] }),
      ...(options.timeZone ? { timezone: options.timeZone } : {}),
      ...(options.jitter ? { jitter: options.jitter } : {}),
    },
    action: {
      type: 'startWorkflow',
      workflowType: scheduledPipelineRun,
      workflowId: scheduleActionWorkflowId(scheduleId),
      taskQueue: temporal.taskQueue,
      args: [input],
      typedSearchAttributes: [{ key: ConduitPipeline, value: options.pipeline }],
      staticSummary: `scheduled run of pipeline ${options.pipeline}`,
    },
    policies: { overlap: OVERLAP[overlap], pauseOnFailure: options.pauseOnFailure ?? false },
    memo: { conduitPipeline: options.pipeline },
    typedSearchAttributes: [{ key: ConduitPipeline, value: options.pipeline }],
    state: { paused: options.paused ?? false, ...(options.note ? { note: options.note } : {}) },
  };
}

function checkDuration(flag: string, value: string): void {
  let ms: number;
  try {
    ms = msToNumber(value as Parameters<typeof msToNumber>[0]);
  } catch {
    throw new ScheduleOptionsError(`${flag} "${value}" is not a duration (such as 30s, 15m, 1h, 1d)`);
  }
  if (!(ms >= 1000)) throw new ScheduleOptionsError(`${flag} "${value}" must be at least 1s`);
}

export async function createPipelineSchedule(
  client: Client,
  temporal: TemporalSettings,
  options: PipelineScheduleOptions,
): Promise<ScheduleHandle> {
  return client.schedule.create(pipelineScheduleOptions(temporal, options));
}

/** Conduit's schedules (those made by `conduit schedule create`), optionally of one pipeline. */
export async function listPipelineSchedules(client: Client, pipeline?: string): Promise<ScheduleSummary[]> {
  const found: ScheduleSummary[] = [];
  for await (const schedule of client.schedule.list()) {
    const owner = schedule.memo?.conduitPipeline;
    if (typeof owner !== 'string') continue;
    if (pipeline === undefined || owner === pipeline) found.push(schedule);
  }
  return found.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

export function describePipelineSchedule(client: Client, scheduleId: string): Promise<ScheduleDescription> {
  return client.schedule.getHandle(scheduleId).describe();
}

/**
 * Starts one run now. Temporal's trigger ignores the schedule's overlap policy unless given one
 * (it defaults to ALLOW_ALL), so the schedule's own policy is passed.
 */
export async function triggerPipelineSchedule(client: Client, scheduleId: string): Promise<void> {
  const handle = client.schedule.getHandle(scheduleId);
  const { policies } = await handle.describe();
  await handle.trigger(policies.overlap);
}

/** Human-readable description of a schedule for `conduit schedule describe`. */
export function formatScheduleDescription(d: ScheduleDescription): string {
  const lines = [`schedule ${d.scheduleId}${d.state.paused ? ' (paused)' : ''}`];
  const spec = d.spec;
  const when = [
    ...(spec.intervals ?? []).map((i) => `every ${formatMs(Number(i.every))}`),
    ...(spec.calendars ?? []).map((c) => `calendar ${JSON.stringify(c)}`),
  ];
  const zone = spec.timezone ? ` in ${spec.timezone}` : '';
  const jitter = spec.jitter ? `, jitter ${formatMs(Number(spec.jitter))}` : '';
  lines.push(`  when: ${when.join('; ') || '(no spec)'}${zone}${jitter}`);
  // Schedules can only start workflows: the SDK has no other kind of action.
  lines.push(`  action: ${d.action.workflowType} ${JSON.stringify(d.action.args)} on task queue ${d.action.taskQueue}`);
  lines.push(`  overlap: ${d.policies.overlap}, pause on failure: ${d.policies.pauseOnFailure ? 'yes' : 'no'}`);
  if (d.state.note) lines.push(`  note: ${d.state.note}`);
  lines.push(
    `  actions: ${d.info.numActionsTaken} taken, ${d.info.numActionsSkippedOverlap} skipped for overlap, ` +
      `${d.info.numActionsMissedCatchupWindow} missed the catch-up window`,
  );
  for (const running of d.info.runningActions) lines.push(`  running: ${running.workflow.workflowId}`);
  for (const recent of d.info.recentActions.slice(-5))
    lines.push(`  recent: ${recent.scheduledAt.toISOString()} ${recent.action.workflow.workflowId}`);
  for (const next of d.info.nextActionTimes.slice(0, 3)) lines.push(`  next: ${next.toISOString()}`);
  return lines.join('\n');
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
