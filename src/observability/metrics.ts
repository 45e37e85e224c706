import { Context } from '@temporalio/activity';
import { ApplicationFailure, type MetricMeter } from '@temporalio/common';
import { Runtime, type ActivityInterceptorsFactory, type RuntimeOptions } from '@temporalio/worker';
import { activityLogFields } from '../logging';
import { withWarehouseTime, type CursorWindow, type PartitionResult } from '../shared';
import { runInStatementScope, StatementScope } from './statement-tag';

/**
 * Conduit's metrics go through Temporal's own meter, so they share the SDK's Prometheus exporter
 * (one registry, one scrape) with its worker metrics. Labels stay bounded: pipeline, table (from
 * the pipeline file), activity type and failure type; never run IDs or row keys.
 */
const DURATION_BUCKETS_SECONDS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 14400];

/** An activity's warehouse statements often take a few milliseconds in all; a COPY or MERGE of a big table, hours. */
const WAREHOUSE_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400];

/**
 * Telemetry for `Runtime.install`: a Prometheus exporter on `bindAddress` (host:port) with units in
 * names, `_total` on counters and seconds for durations, as Prometheus conventions ask.
 */
export function prometheusTelemetry(bindAddress: string): NonNullable<RuntimeOptions['telemetryOptions']> {
  return {
    metrics: {
      prometheus: {
        bindAddress,
        countersTotalSuffix: true,
        unitSuffix: true,
        useSecondsForDurations: true,
        histogramBucketOverrides: {
          conduit_activity_duration: DURATION_BUCKETS_SECONDS,
          conduit_table_duration: DURATION_BUCKETS_SECONDS,
          conduit_pipeline_run_duration: DURATION_BUCKETS_SECONDS,
          conduit_warehouse_execution: WAREHOUSE_BUCKETS_SECONDS,
        },
      },
    },
  };
}

type Tags = Record<string, string>;

/**
 * Records each activity's duration, outcome, retries and the rows and bytes it moved, and runs it in a statement
 * scope: its warehouse statements carry a tag naming pipeline, table, run and step, and their warehouse time is
 * recorded per table and added to the activity's result (`withWarehouseTime`).
 */
export const activityMetrics: ActivityInterceptorsFactory = (ctx: Context) => ({
  inbound: {
    async execute(input, next) {
      // The runtime's meter, not the context's: that one adds camelCase tags beside core's snake_case.
      const meter = Runtime.instance().metricMeter;
      const fields = activityLogFields(input.args);
      const tags: Tags = { activity: ctx.info.activityType };
      if (typeof fields.pipeline === 'string') tags.pipeline = fields.pipeline;
      const tableTags: Tags = typeof fields.table === 'string' ? { ...tags, table: fields.table } : tags;
      const statements = new StatementScope({
        step: ctx.info.activityType,
        pipeline: tags.pipeline,
        table: tableTags.table,
        run: runKeyOf(input.args),
      });
      if (ctx.info.attempt > 1)
        meter.createCounter('conduit_activity_retries', '', 'Activity attempts after the first').add(1, tags);
      const started = Date.now();
      const duration = meter.createHistogram(
        'conduit_activity_duration',
        'float',
        'seconds',
        'Activity attempt duration',
      );
      try {
        const result: unknown = await runInStatementScope(statements, () => next(input));
        duration.record((Date.now() - started) / 1000, { ...tags, outcome: 'succeeded' });
        recordResult(meter, ctx.info.activityType, input.args, result, tableTags);
        return withWarehouseTime(result, statements.warehouseSeconds());
      } catch (error) {
        const outcome = ctx.cancellationSignal.aborted ? 'cancelled' : 'failed';
        duration.record((Date.now() - started) / 1000, { ...tags, outcome });
        const failureType = error instanceof ApplicationFailure && error.type ? error.type : 'Retryable';
        meter
          .createCounter('conduit_activity_failures', '', 'Failed activity attempts by failure type')
          .add(1, { ...tags, failure_type: failureType });
        throw error;
      } finally {
        // Failed attempts cost warehouse time too.
        const seconds = statements.warehouseSeconds();
        if (seconds !== undefined)
          meter
            .createHistogram(
              'conduit_warehouse_execution',
              'float',
              'seconds',
              "Warehouse time of one activity attempt's statements, as the worker timed them",
            )
            .record(seconds, tableTags);
      }
    },
  },
});

/**
 * The run key that names a run's shadow tables and stages: in prepare's input, and in the marker later steps
 * carry (`conduit run <key>`, activities/prepare.ts). Extracts carry neither.
 */
function runKeyOf(args: unknown[]): string | undefined {
  const first: unknown = args[0];
  if (typeof first !== 'object' || first === null) return undefined;
  if ('runKey' in first && typeof first.runKey === 'string') return first.runKey;
  if (!('prepared' in first) || typeof first.prepared !== 'object' || first.prepared === null) return undefined;
  const marker: unknown = 'runMarker' in first.prepared ? first.prepared.runMarker : undefined;
  return typeof marker === 'string' ? /^conduit run (\S+)$/.exec(marker)?.[1] : undefined;
}

function recordResult(meter: MetricMeter, activity: string, args: unknown[], result: unknown, tags: Tags): void {
  if (activity === 'extractPartition' && isPartitionResult(result)) {
    meter.createCounter('conduit_extracted_rows', '', 'Rows extracted from the source').add(result.rows, tags);
    meter.createCounter('conduit_staged_bytes', '', 'Compressed bytes staged').add(result.bytes, tags);
  } else if (activity === 'verifyTable' && typeof result === 'number') {
    meter.createCounter('conduit_loaded_rows', '', 'Rows loaded and verified in the destination').add(result, tags);
  } else if (activity === 'commitIncremental' && result === 'committed') {
    const committed = cursorEpochSeconds(committedWindow(args));
    if (committed === undefined) return;
    meter
      .createGauge('conduit_incremental_cursor_timestamp_seconds', 'float', '', 'Committed cursor as Unix time')
      .set(committed, tags);
    meter
      .createGauge('conduit_incremental_cursor_lag_seconds', 'float', '', 'Commit time minus the committed cursor')
      .set(Math.max(0, Date.now() / 1000 - committed), tags);
  }
}

function isPartitionResult(value: unknown): value is PartitionResult {
  return typeof value === 'object' && value !== null && 'rows' in value && 'bytes' in value;
}

function committedWindow(args: unknown[]): CursorWindow | undefined {
  const first: unknown = args[0];
  if (typeof first !== 'object' || first === null || !('prepared' in first)) return undefined;
  const prepared: unknown = first.prepared;
  if (typeof prepared !== 'object' || prepared === null || !('window' in prepared)) return undefined;
  return prepared.window as CursorWindow;
}

/**
 * The window's upper cursor as Unix seconds, for date and timestamp cursors (a timestamp without
 * time zone is read as UTC); undefined for numeric cursors, whose lag has no unit of time.
 */
export function cursorEpochSeconds(window: CursorWindow | undefined): number | undefined {
  if (!window?.high || !/^(date|timestamp)/.test(window.sourceType)) return undefined;
  const text = window.high;
  if (/^\d{4}-\d\d-\d\d$/.test(text)) return Date.parse(`${text}T00:00:00Z`) / 1000;
  // PostgreSQL writes offsets as +HH or +HH:MM after the time; none means timestamp without zone.
  const offset = /[+-]\d\d(:\d\d)?$/.exec(text.slice(text.indexOf(' ')));
  const iso = text.replace(' ', 'T');
  const millis = Date.parse(offset ? iso.replace(/([+-]\d\d)$/, '$1:00') : `${iso}Z`);
  return Number.isNaN(millis) ? undefined : millis / 1000;
}
