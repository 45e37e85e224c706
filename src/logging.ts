/**
 * Worker logs: Temporal's runtime logger in text (default) or JSON lines (`CONDUIT_LOG_FORMAT=json`),
 * and an activity interceptor that adds the run's fields (pipeline, table, partition, run key) to
 * every log line an activity or the SDK writes about it, and logs each activity's outcome at INFO.
 */
import { Context } from '@temporalio/activity';
import { DefaultLogger, type ActivityInterceptorsFactory, type LogEntry, type LogLevel } from '@temporalio/worker';
import { qualifiedName, type QualifiedName } from './shared';

export type LogFormat = 'text' | 'json';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function logFormatFromEnv(env: NodeJS.ProcessEnv = process.env): LogFormat {
  const value = (env.CONDUIT_LOG_FORMAT ?? 'text').toLowerCase();
  if (value !== 'text' && value !== 'json')
    throw new Error(`CONDUIT_LOG_FORMAT must be text or json, not "${env.CONDUIT_LOG_FORMAT}"`);
  return value;
}

export function logLevelFromEnv(fallback: LogLevel, env: NodeJS.ProcessEnv = process.env): LogLevel {
  const value = env.CONDUIT_LOG_LEVEL?.toUpperCase();
  if (value === undefined || value === '') return fallback;
  if (!LEVELS.includes(value as LogLevel))
    throw new Error(`CONDUIT_LOG_LEVEL must be one of ${LEVELS.join(', ')}, not "${env.CONDUIT_LOG_LEVEL}"`);
  return value as LogLevel;
}

/** One JSON object per line: time, level, message, then the entry's fields. */
export function jsonLogLine(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return JSON.stringify({ time, level: entry.level, message: entry.message, ...entry.meta }, jsonReplacer);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error)
    return {
      name: value.name,
      message: value.message,
      ...(value.cause instanceof Error ? { cause: value.cause.message } : {}),
    };
  return value;
}

/** The runtime logger: text to stderr (Temporal's format) or JSON lines to stdout. */
export function createLogger(
  level: LogLevel,
  format: LogFormat,
  write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): DefaultLogger {
  return format === 'json' ? new DefaultLogger(level, (entry) => write(jsonLogLine(entry))) : new DefaultLogger(level);
}

/** Fields that say which run, table and partition an activity works on, read from its input. */
export function activityLogFields(input: unknown): Record<string, unknown> {
  const first = (Array.isArray(input) ? input[0] : input) as Record<string, unknown> | undefined;
  if (!first || typeof first !== 'object') return {};
  const fields: Record<string, unknown> = {};
  const job = first.job as { pipeline?: string; source?: QualifiedName } | undefined;
  const pipeline = job?.pipeline ?? (typeof first.pipeline === 'string' ? first.pipeline : undefined);
  if (pipeline) fields.pipeline = pipeline;
  if (job?.source) fields.table = qualifiedName(job.source);
  if (typeof first.partition === 'number') fields.partition = first.partition;
  if (typeof first.runKey === 'string') fields.runKey = first.runKey;
  return fields;
}

/** Figures of an activity's result worth a log line (warehouseSeconds: added by observability/metrics.ts). */
const LOGGED_COUNTS = ['rows', 'bytes', 'files', 'loaded', 'skipped', 'warehouseSeconds'];

/**
 * Adds run/table/partition fields (and the run's workflow ID) to every log line about an activity,
 * and logs each success at INFO with its duration and counts (rows, bytes…).
 */
export const activityLogging: ActivityInterceptorsFactory = (ctx: Context) => {
  let fields: Record<string, unknown> = {};
  return {
    inbound: {
      async execute(input, next) {
        fields = activityLogFields(input.args);
        const started = Date.now();
        // Failures are logged by the SDK (WARN "Activity failed"), with these fields too.
        const result = await next(input);
        const counts =
          result && typeof result === 'object' ? pick(result as Record<string, unknown>, LOGGED_COUNTS) : {};
        ctx.log.info(`${ctx.info.activityType} done`, { ...counts, durationMs: Date.now() - started });
        return result;
      },
    },
    outbound: {
      getLogAttributes(attributes, next) {
        const merged: Record<string, unknown> = { ...attributes, ...fields };
        delete merged.taskToken; // opaque, long, and of no use in a log
        return next(merged);
      },
    },
  };
};

function pick(value: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => typeof value[k] === 'number').map((k) => [k, value[k]]));
}
