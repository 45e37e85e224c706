/**
 * The benchmark's worker: a process of its own, so its memory is the worker's alone. Started by
 * worker-child.ts with the pipeline document's path as argument and the secrets in its
 * environment; says `ready` over IPC once polling, and shuts down on `stop`.
 */
import { readFileSync } from 'node:fs';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { prebuiltWorkflowBundle } from '../build-bundle';
import { parsePipeline } from '../config/load';
import { createConduitWorker } from '../worker';

export type ParentMessage = { type: 'stop' };
export type ChildMessage = { type: 'ready'; prebuiltBundle: boolean } | { type: 'failed'; message: string };

async function main(): Promise<void> {
  const [documentPath, workDir, ...flags] = process.argv.slice(2);
  if (!documentPath || !workDir || !process.send)
    throw new Error('usage: worker-process.js <pipeline.json> <workDir> [--bundle-at-start] (forked with IPC)');
  const bundleAtStart = flags.includes('--bundle-at-start');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = parsePipeline(JSON.parse(readFileSync(documentPath, 'utf8')), documentPath, { env: process.env });
  const prebuiltBundle = !bundleAtStart && prebuiltWorkflowBundle() !== undefined;
  const worker = await createConduitWorker({ pipelines: [config], workDir, prebuiltBundle: !bundleAtStart });
  const running = worker.worker.run();
  // The only message a parent sends is stop.
  process.on('message', (_message: ParentMessage) => worker.worker.shutdown());
  send({ type: 'ready', prebuiltBundle });
  await running;
  await worker.close();
  disconnect();
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** process.disconnect, like process.send, exists only with an IPC channel (its type omits that). */
function disconnect(): void {
  if (process.send) process.disconnect();
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  send({ type: 'failed', message });
  console.error(message);
  process.exitCode = 1;
  disconnect();
});
