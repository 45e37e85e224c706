import { mkdirSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { prebuiltWorkflowBundle, workflowInterceptorModules } from './build-bundle';
import type { PipelineConfig, TemporalSettings } from './config/pipeline';
import { DestinationSessions } from './connectors/sessions';
import { FAULT_ENV, parseFaultSpec } from './faults';
import { activityLogging } from './logging';
import { activityMetrics } from './observability/metrics';
import { activityTracing, workflowSpanSinks, type Tracing } from './observability/tracing';
import { temporalConnectionOptions } from './temporal-connection';

export { prometheusTelemetry } from './observability/metrics';
export { startTracingFromEnv, type Tracing } from './observability/tracing';
export { startObservabilityServer, type ObservabilityServer, type Readiness } from './observability/server';

/**
 * Node flags and environment for a process that hosts a worker: `MALLOC_ARENA_MAX=2` saves 20–30 MB of
 * RSS; V8 heap flags were measured and rejected (docs/performance.md, "Worker process settings").
 */
export const WORKER_PROCESS_SETTINGS: {
  readonly nodeFlags: readonly string[];
  readonly env: Readonly<Record<string, string>>;
} = {
  nodeFlags: [],
  env: { MALLOC_ARENA_MAX: '2' },
};

export interface ConduitWorkerOptions {
  /** The pipelines this worker serves; they must share one Temporal namespace and task queue. */
  pipelines: PipelineConfig[];
  /** An existing connection (tests); otherwise one is opened to the pipelines' Temporal address. */
  connection?: NativeConnection;
  /**
   * A prebuilt workflow bundle. Defaults to the build's own (`node dist/build-bundle.js`) when it is
   * present and up to date; otherwise the workflows are bundled at start-up (slower, and webpack
   * stays in the worker's memory).
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Use the build's prebuilt bundle when no `workflowBundle` is given (default true); false bundles at start-up. */
  prebuiltBundle?: boolean;
  /** Local scratch folder for partition files; defaults to the OS temp folder. */
  workDir?: string;
  /** Activities run at once on this worker (extracts are I/O and compression bound). */
  maxConcurrentActivities?: number;
  /**
   * Milliseconds in-flight activities get to finish after a shutdown request. A number, not the SDK's
   * Duration: that type comes from 'ms', whose package has no types under node16 resolution.
   */
  shutdownGraceTime?: number;
  /** Where workflow and activity spans go (startTracingFromEnv); none are exported without it. */
  tracing?: Tracing;
}

export interface ConduitWorker {
  worker: Worker;
  temporal: TemporalSettings;
  /**
   * Closes the destination sessions kept between activities and the connection this module opened (not one passed in),
   * and removes the scratch folder if it is empty.
   */
  close: () => Promise<void>;
}

export async function createConduitWorker(options: ConduitWorkerOptions): Promise<ConduitWorker> {
  const temporal = sharedTemporalSettings(options.pipelines);
  // A misspelt fault point fails here, not silently at the first activity.
  parseFaultSpec(process.env[FAULT_ENV]);
  const workDir = options.workDir ?? join(tmpdir(), 'conduit-work');
  mkdirSync(workDir, { recursive: true });
  const ownConnection = options.connection
    ? undefined
    : await NativeConnection.connect(temporalConnectionOptions(temporal));
  const connection = options.connection ?? ownConnection!;
  const pipelines = new Map(options.pipelines.map((p) => [p.name, p]));
  const destinations = new DestinationSessions();
  const code = workflowCode(options.workflowBundle, options.prebuiltBundle ?? true);
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    activities: createActivities({ pipelines, workDir, destinations }),
    ...code,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 8,
    // Every activity log line (ours and the SDK's) carries pipeline/table/partition fields; metrics
    // cost nothing unless the runtime exports them (conduit worker --metrics-port).
    interceptors: {
      activity: [activityLogging, activityMetrics, activityTracing],
      // A prebuilt bundle has the workflow interceptors built in (the SDK warns if given them again).
      ...('workflowsPath' in code ? { workflowModules: workflowInterceptorModules() } : {}),
    },
    sinks: workflowSpanSinks(options.tracing),
    shutdownGraceTime: options.shutdownGraceTime ?? 30_000,
    // Activities heartbeat every 5 s, but the SDK would send at most one heartbeat per 24 s (80% of
    // the timeout), and cancellations arrive with heartbeat answers: a released snapshot holder kept
    // its transaction open, and a cancelled run's extracts kept going, for up to 24 s.
    maxHeartbeatThrottleInterval: '5s',
  });
  return {
    worker,
    temporal,
    close: async () => {
      await destinations.close();
      await ownConnection?.close();
      // Only when empty: workers on one machine share the default folder, and a killed worker's
      // stage folders stay until their table's cleanup removes them.
      await rmdir(workDir).catch(() => undefined);
    },
  };
}

function workflowCode(
  given: WorkerOptions['workflowBundle'],
  prebuilt: boolean,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const workflowBundle = given ?? (prebuilt ? prebuiltWorkflowBundle() : undefined);
  return workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('./workflows') };
}

function sharedTemporalSettings(pipelines: PipelineConfig[]): TemporalSettings {
  const [first, ...rest] = pipelines;
  if (!first) throw new Error('a worker needs at least one pipeline definition (--config FILE)');
  const names = new Set<string>();
  for (const pipeline of pipelines) {
    if (names.has(pipeline.name))
      throw new Error(
        `two pipeline files are both named "${pipeline.name}"; pipeline names must be unique on a worker`,
      );
    names.add(pipeline.name);
  }
  for (const other of rest) {
    const a = first.temporal;
    const b = other.temporal;
    if (a.address !== b.address || a.namespace !== b.namespace || a.taskQueue !== b.taskQueue) {
      throw new Error(
        `pipelines "${first.name}" and "${other.name}" use different Temporal settings ` +
          `(${a.address}/${a.namespace}/${a.taskQueue} vs ${b.address}/${b.namespace}/${b.taskQueue}); run ` +
          `one worker per task queue`,
      );
    }
  }
  return first.temporal;
}
