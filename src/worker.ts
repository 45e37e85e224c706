import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import type { PipelineConfig, TemporalSettings } from './config/pipeline';
import { activityLogging } from './logging';

export interface ConduitWorkerOptions {
  /** The pipelines this worker serves; they must share one Temporal namespace and task queue. */
  pipelines: PipelineConfig[];
  /** An existing connection (tests); otherwise one is opened to the pipelines' Temporal address. */
  connection?: NativeConnection;
  /** A prebuilt workflow bundle; otherwise the workflows are bundled at start-up. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Local scratch folder for partition files; defaults to the OS temp folder. */
  workDir?: string;
  /** Activities run at once on this worker (extracts are I/O and compression bound). */
  maxConcurrentActivities?: number;
  /** How long in-flight activities get to finish after a shutdown request. */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
}

export interface ConduitWorker {
  worker: Worker;
  temporal: TemporalSettings;
  /** Closes the connection this module opened (not one passed in). */
  close(): Promise<void>;
}

export async function createConduitWorker(options: ConduitWorkerOptions): Promise<ConduitWorker> {
  const temporal = sharedTemporalSettings(options.pipelines);
  const workDir = options.workDir ?? join(tmpdir(), 'conduit-work');
  mkdirSync(workDir, { recursive: true });
  const ownConnection = options.connection ? undefined : await NativeConnection.connect({ address: temporal.address });
  const connection = options.connection ?? ownConnection!;
  const pipelines = new Map(options.pipelines.map((p) => [p.name, p]));
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    activities: createActivities({ pipelines, workDir }),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 8,
    // Every activity log line (ours and the SDK's) carries pipeline/table/partition fields.
    interceptors: { activity: [activityLogging] },
    shutdownGraceTime: options.shutdownGraceTime ?? '30s',
  });
  return {
    worker,
    temporal,
    close: async () => {
      await ownConnection?.close();
    },
  };
}

function sharedTemporalSettings(pipelines: PipelineConfig[]): TemporalSettings {
  if (pipelines.length === 0) throw new Error('a worker needs at least one pipeline definition (--config FILE)');
  const [first, ...rest] = pipelines;
  const names = new Set<string>();
  for (const pipeline of pipelines) {
    if (names.has(pipeline.name)) throw new Error(`two pipeline files are both named "${pipeline.name}"; pipeline names must be unique on a worker`);
    names.add(pipeline.name);
  }
  for (const other of rest) {
    const a = first.temporal;
    const b = other.temporal;
    if (a.address !== b.address || a.namespace !== b.namespace || a.taskQueue !== b.taskQueue) {
      throw new Error(
        `pipelines "${first.name}" and "${other.name}" use different Temporal settings (${a.address}/${a.namespace}/${a.taskQueue} vs ${b.address}/${b.namespace}/${b.taskQueue}); run one worker per task queue`,
      );
    }
  }
  return first.temporal;
}
