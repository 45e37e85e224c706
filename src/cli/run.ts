import type { Client, WorkflowHandle } from '@temporalio/client';
import { connectClient, runProgress, startPipelineRun, waitForRun, type RunOutcome } from '../client';
import type { PipelineConfig } from '../config/pipeline';
import { createConduitWorker } from '../worker';
import { formatProgress, formatSummary } from './summary';

export interface RunCommandOptions {
  config: PipelineConfig;
  tables?: string[];
  /** Run a worker in this process for the duration of the run. */
  embeddedWorker: boolean;
  /** Print progress this often. */
  progressEveryMs?: number;
  out?: NodeJS.WriteStream;
}

/** `conduit run`: start (or join) the pipeline's run, show progress, print the summary; true when it succeeded. */
export async function runCommand(options: RunCommandOptions): Promise<boolean> {
  const out = options.out ?? process.stdout;
  const { config } = options;
  const embedded = options.embeddedWorker ? await createConduitWorker({ pipelines: [config] }) : undefined;
  const workerRun = embedded?.worker.run();
  const client = await connectClient(config.temporal);
  try {
    const handle = await startPipelineRun(client, config.temporal, { pipeline: config.name, tables: options.tables });
    out.write(`run ${handle.workflowId} started on task queue ${config.temporal.taskQueue}${embedded ? ' (embedded worker)' : ''}\n`);
    const outcome = await followRun(client, handle, out, options.progressEveryMs ?? 1000);
    if (outcome.result) out.write(`${formatSummary(outcome.result)}\n`);
    if (!outcome.ok) out.write(`run failed: ${outcome.message}\n`);
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

/** Polls progress until the run ends: a redrawn block on a terminal, plain lines on change otherwise. */
async function followRun(client: Client, handle: WorkflowHandle, out: NodeJS.WriteStream, everyMs: number): Promise<RunOutcome> {
  const startedAt = Date.now();
  const interactive = out.isTTY === true;
  let drawn = 0;
  let lastPlain = '';
  const done = waitForRun(handle);
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  while (!finished) {
    await Promise.race([done, sleep(everyMs)]);
    if (finished) break;
    const lines = await runProgress(client, handle.workflowId)
      .then((p) => formatProgress(p, startedAt))
      .catch(() => [] as string[]);
    if (lines.length === 0) continue;
    if (interactive) {
      if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[J`);
      out.write(`${lines.join('\n')}\n`);
      drawn = lines.length;
    } else {
      const text = lines.join('\n');
      if (text !== lastPlain) out.write(`${text}\n`);
      lastPlain = text;
    }
  }
  return done;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
