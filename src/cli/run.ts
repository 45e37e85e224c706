import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { connectClient, runProgress, startPipelineRun, waitForRun, type RunOutcome } from '../client';
import type { PipelineConfig } from '../config/pipeline';
import type { Tracing } from '../observability/tracing';
import { createConduitWorker } from '../worker';
import { progressRenderer, type ProgressRenderer } from './progress';
import { formatSummary } from './summary';
import type { WorkerLog } from './worker-log';
import { settled } from '../promises';

export interface RunCommandOptions {
  config: PipelineConfig;
  tables?: string[];
  /** Incremental tables to reload whole (`--full-refresh`). */
  fullRefresh?: string[];
  /** Run a worker in this process for the duration of the run. */
  embeddedWorker: boolean;
  /** Where the embedded worker's log goes (the runtime logger writes it); its notices join the progress output. */
  workerLog?: WorkerLog;
  /** Poll progress this often. */
  progressEveryMs?: number;
  /** Without a terminal: at most one line per table this often, besides state changes. */
  plainEveryMs?: number;
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Spans of the embedded worker's workflows and activities go here (OTEL_* variables). */
  tracing?: Tracing;
}

/** `conduit run`: start (or join) the pipeline's run, show progress, print the summary; true when it succeeded. */
export async function runCommand(options: RunCommandOptions): Promise<boolean> {
  const out = options.out ?? process.stdout;
  const { config } = options;
  const embedded = options.embeddedWorker
    ? await createConduitWorker({ pipelines: [config], tracing: options.tracing })
    : undefined;
  const workerRun = embedded?.worker.run();
  const client = await connectClient(config.temporal);
  try {
    const handle = await startPipelineRun(
      client,
      config.temporal,
      { pipeline: config.name, tables: options.tables, fullRefresh: options.fullRefresh },
      { startedBy: 'conduit run' },
    );
    out.write(
      `run ${handle.workflowId} started on task queue ` +
        `${config.temporal.taskQueue}${embedded ? ' (embedded worker)' : ''}\n`,
    );
    const renderer = progressRenderer(out, options.plainEveryMs);
    options.workerLog?.onNotice((line) => renderer.note(line));
    const outcome = await followRun(client, handle, renderer, options.progressEveryMs ?? 1000).finally(() =>
      // The block is final now: a later notice (while the worker stops) is a plain line below it.
      options.workerLog?.onNotice((line) => out.write(`${line}\n`)),
    );
    if (outcome.result) out.write(`${formatSummary(outcome.result)}\n`);
    if (!outcome.ok) out.write(`run failed: ${outcome.message}\n`);
    if (options.workerLog) out.write(`worker log: ${options.workerLog.path}\n`);
    return outcome.ok;
  } finally {
    await client.connection.close();
    if (embedded) {
      embedded.worker.shutdown();
      await workerRun;
      await embedded.close();
    }
  }
}

/** Polls progress until the run ends: a redrawn block of bars on a terminal, sparse plain lines otherwise. */
async function followRun(
  client: Client,
  handle: WorkflowHandleWithFirstExecutionRunId,
  renderer: ProgressRenderer,
  everyMs: number,
): Promise<RunOutcome> {
  const done = waitForRun(handle);
  const finished = settled(done);
  while (!finished()) {
    await Promise.race([done, sleep(everyMs)]);
    if (finished()) break;
    const progress = await runProgress(client, handle.workflowId, handle.firstExecutionRunId).catch(() => undefined);
    if (progress && !finished()) renderer.update(progress);
  }
  return done;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
