import { parseArgs } from 'node:util';
import { ScheduleNotFoundError } from '@temporalio/client';
import { connectClient } from '../client';
import { loadPipelineFile } from '../config/load';
import { DEFAULT_TEMPORAL, type TemporalSettings } from '../config/pipeline';
import { defaultScheduleId } from '../ids';
import {
  createPipelineSchedule,
  describePipelineSchedule,
  formatScheduleDescription,
  listPipelineSchedules,
  ScheduleOptionsError,
  triggerPipelineSchedule,
} from '../schedules';

export const SCHEDULE_USAGE = `conduit schedule create --config FILE (--every DURATION | --cron 'EXPR') [--time-zone TZ]
        [--jitter DURATION] [--overlap skip|buffer-one] [--schedule-id ID] [--table schema.table ...]
        [--pause-on-failure] [--paused] [--note TEXT]
  conduit schedule list [--config FILE | --pipeline NAME]
  conduit schedule describe|pause|unpause|trigger|delete (--config FILE | --pipeline NAME | --schedule-id ID)
      Temporal Schedules for a pipeline (ID conduit-schedule/<pipeline> unless --schedule-id).
      Overlap defaults to skip: a trigger that comes while the previous run goes is skipped.`;

/** A command-line problem: exit code 2 and the usage. */
export class CommandUsageError extends Error {}

/** Where to reach Temporal without a pipeline file: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, CONDUIT_TASK_QUEUE. */
export function temporalSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  return {
    address: env.TEMPORAL_ADDRESS || DEFAULT_TEMPORAL.address,
    namespace: env.TEMPORAL_NAMESPACE || DEFAULT_TEMPORAL.namespace,
    taskQueue: env.CONDUIT_TASK_QUEUE || DEFAULT_TEMPORAL.taskQueue,
  };
}

/** The pipeline and Temporal settings named by --config (read without secrets) or --pipeline. */
export function pipelineTarget(values: { config?: string; pipeline?: string }): {
  pipeline?: string;
  temporal: TemporalSettings;
} {
  if (values.config !== undefined && values.pipeline !== undefined)
    throw new CommandUsageError('give --config FILE or --pipeline NAME, not both');
  if (values.config !== undefined) {
    const config = loadPipelineFile(values.config, { resolveSecrets: false });
    return { pipeline: config.name, temporal: config.temporal };
  }
  return { pipeline: values.pipeline, temporal: temporalSettingsFromEnv() };
}

const SUBCOMMANDS = ['create', 'list', 'describe', 'pause', 'unpause', 'trigger', 'delete'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** `conduit schedule …`; returns the exit code. */
export async function scheduleCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      pipeline: { type: 'string' },
      'schedule-id': { type: 'string' },
      every: { type: 'string' },
      cron: { type: 'string' },
      'time-zone': { type: 'string' },
      jitter: { type: 'string' },
      overlap: { type: 'string' },
      table: { type: 'string', multiple: true },
      'pause-on-failure': { type: 'boolean', default: false },
      paused: { type: 'boolean', default: false },
      note: { type: 'string' },
    },
    allowPositionals: true,
  });
  const [sub, ...extra] = positionals;
  if (!SUBCOMMANDS.includes(sub as Subcommand))
    throw new CommandUsageError(`schedule needs one of ${SUBCOMMANDS.join('|')}${sub ? `, not "${sub}"` : ''}`);
  if (extra.length > 0) throw new CommandUsageError(`unexpected argument "${extra[0]}"`);
  const { pipeline, temporal } = pipelineTarget(values);
  const scheduleId = values['schedule-id'] ?? (pipeline !== undefined ? defaultScheduleId(pipeline) : undefined);
  const client = await connectClient(temporal);
  try {
    switch (sub as Subcommand) {
      case 'create': {
        if (pipeline === undefined)
          throw new CommandUsageError('schedule create needs --config FILE or --pipeline NAME');
        if (values.overlap !== undefined && values.overlap !== 'skip' && values.overlap !== 'buffer-one') {
          throw new CommandUsageError(`--overlap must be skip or buffer-one, not "${values.overlap}"`);
        }
        const handle = await createPipelineSchedule(client, temporal, {
          pipeline,
          scheduleId,
          tables: values.table,
          every: values.every,
          cron: values.cron,
          timeZone: values['time-zone'],
          jitter: values.jitter,
          overlap: values.overlap,
          pauseOnFailure: values['pause-on-failure'],
          paused: values.paused,
          note: values.note,
        });
        out.write(
          `created schedule ${handle.scheduleId} for pipeline ${pipeline} on task queue ${temporal.taskQueue}\n`,
        );
        out.write(`${formatScheduleDescription(await handle.describe())}\n`);
        return 0;
      }
      case 'list': {
        const schedules = await listPipelineSchedules(client, pipeline);
        if (schedules.length === 0)
          out.write(
            `no Conduit schedules${pipeline ? ` for pipeline ${pipeline}` : ''} in namespace ${temporal.namespace}\n`,
          );
        for (const s of schedules) {
          const next = s.info.nextActionTimes[0]?.toISOString() ?? '-';
          out.write(
            `${s.scheduleId}  pipeline ${String(s.memo?.conduitPipeline)}  ` +
              `${s.state.paused ? 'paused' : 'active'}  next ${next}\n`,
          );
        }
        return 0;
      }
      default: {
        if (scheduleId === undefined)
          throw new CommandUsageError(`schedule ${sub} needs --config FILE, --pipeline NAME or --schedule-id ID`);
        return await onSchedule(sub as Exclude<Subcommand, 'create' | 'list'>, client, scheduleId, values.note, out);
      }
    }
  } catch (error) {
    if (error instanceof ScheduleOptionsError) throw new CommandUsageError(error.message);
    if (error instanceof ScheduleNotFoundError) {
      process.stderr.write(`conduit: no schedule ${scheduleId ?? ''} in namespace ${temporal.namespace}\n`);
      return 1;
    }
    throw error;
  } finally {
    await client.connection.close();
  }
}

async function onSchedule(
  sub: 'describe' | 'pause' | 'unpause' | 'trigger' | 'delete',
  client: Awaited<ReturnType<typeof connectClient>>,
  scheduleId: string,
  note: string | undefined,
  out: NodeJS.WritableStream,
): Promise<number> {
  const handle = client.schedule.getHandle(scheduleId);
  switch (sub) {
    case 'describe':
      out.write(`${formatScheduleDescription(await describePipelineSchedule(client, scheduleId))}\n`);
      break;
    case 'pause':
      await handle.pause(note ?? 'paused with conduit schedule pause');
      out.write(`paused ${scheduleId}\n`);
      break;
    case 'unpause':
      await handle.unpause(note ?? 'unpaused with conduit schedule unpause');
      out.write(`unpaused ${scheduleId}\n`);
      break;
    case 'trigger':
      await triggerPipelineSchedule(client, scheduleId);
      out.write(`triggered ${scheduleId} (skipped if a run of the pipeline is going)\n`);
      break;
    case 'delete':
      await handle.delete();
      out.write(`deleted ${scheduleId} (runs it started are not affected)\n`);
      break;
  }
  return 0;
}
