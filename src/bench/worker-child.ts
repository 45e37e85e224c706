/**
 * Runs the worker in a child process and watches its memory: VmRSS sampled every 100 ms, and the
 * kernel's own peak (VmHWM) read just before the worker is asked to stop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { childrenOf, memoryOf } from './procfs';
import type { WorkerUsage } from './types';
import type { ChildMessage, ParentMessage } from './worker-process';

const SAMPLE_MS = 100;
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;
const OUTPUT_TAIL_CHARS = 8_000;

export interface WorkerChildOptions {
  /** The pipeline document (with `${VAR}` references for secrets). */
  document: Record<string, unknown>;
  /** Environment the document's references resolve against (secrets included). */
  env: Record<string, string>;
  /** Folder for a V8 CPU profile of the worker (node --cpu-prof); none when absent. */
  cpuProfileDir?: string;
  /** Node flags of the worker process. */
  nodeFlags: string[];
  /** Bundle the workflows at start-up instead of loading the prebuilt bundle. */
  bundleAtStart?: boolean;
}

export interface WorkerChild {
  readonly pid: number;
  readonly prebuiltBundle: boolean;
  /** Memory so far; `peakRssBytes` is VmHWM. */
  usage(): WorkerUsage;
  /** Asks the worker to finish and waits for the process to exit; returns the final usage. */
  stop(): Promise<WorkerUsage>;
}

/**
 * The compiled worker entry. Under vitest this module is TypeScript, but the child runs plain
 * Node, so it always uses the build's dist/bench/worker-process.js.
 */
function workerEntry(): string {
  const candidates = [
    join(__dirname, 'worker-process.js'),
    resolve(__dirname, '..', '..', 'dist', 'bench', 'worker-process.js'),
  ];
  const entry = candidates.find((path) => existsSync(path));
  if (!entry) throw new Error(`the benchmark worker is not built (${candidates[1]} is missing): run npm run build`);
  return entry;
}

export async function startWorkerChild(options: WorkerChildOptions): Promise<WorkerChild> {
  const scratch = mkdtempSync(join(tmpdir(), 'conduit-bench-worker-'));
  const documentPath = join(scratch, 'pipeline.json');
  writeFileSync(documentPath, JSON.stringify(options.document));
  const workDir = join(scratch, 'work');
  const started = Date.now();
  const child = fork(workerEntry(), [documentPath, workDir, ...(options.bundleAtStart ? ['--bundle-at-start'] : [])], {
    env: { ...process.env, ...options.env },
    execArgv: [
      ...options.nodeFlags,
      ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(options.cpuProfileDir)}`] : []),
    ],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));

  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the benchmark worker process');
  let maxSampled = 0;
  let maxSampledTree = 0;
  let lastHwm = 0;
  const sample = () => {
    const memory = memoryOf(pid);
    if (!memory) return;
    maxSampled = Math.max(maxSampled, memory.rss);
    lastHwm = Math.max(lastHwm, memory.hwm);
    const children = childrenOf(pid).reduce((sum, child) => sum + (memoryOf(child)?.rss ?? 0), 0);
    maxSampledTree = Math.max(maxSampledTree, memory.rss + children);
  };
  const sampler = setInterval(sample, SAMPLE_MS);

  const cleanUp = () => {
    clearInterval(sampler);
    rmSync(scratch, { recursive: true, force: true });
  };

  let prebuiltBundle: boolean;
  try {
    prebuiltBundle = await waitReady(child, exited, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    cleanUp();
    throw error;
  }
  sample();
  const startupSeconds = (Date.now() - started) / 1000;
  const readyRssBytes = memoryOf(pid)?.rss ?? 0;
  const usage = (): WorkerUsage => ({
    peakRssBytes: lastHwm,
    maxSampledRssBytes: maxSampled,
    maxSampledTreeRssBytes: maxSampledTree,
    readyRssBytes,
    startupSeconds,
  });

  let stopping: Promise<WorkerUsage> | undefined;
  return {
    pid,
    prebuiltBundle,
    usage,
    stop() {
      stopping ??= (async () => {
        sample();
        const final = usage();
        if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        const code = await exited;
        clearTimeout(timer);
        cleanUp();
        if (code !== 0) throw new Error(`the benchmark worker exited with ${code}:\n${output}`);
        return final;
      })();
      return stopping;
    },
  };
}

function waitReady(child: ChildProcess, exited: Promise<number | null>, output: () => string): Promise<boolean> {
  return new Promise<boolean>((resolveReady, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`the benchmark worker did not get ready within ${START_TIMEOUT_MS / 1000} s:\n${output()}`)),
      START_TIMEOUT_MS,
    );
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolveReady(message.prebuiltBundle);
      } else {
        clearTimeout(timer);
        reject(new Error(`the benchmark worker failed to start: ${message.message}`));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the benchmark worker exited (${code}) before it was ready:\n${output()}`));
    });
  });
}
