/**
 * `node bin/conduit.js worker` child processes, as operators run them (the compiled CLI: dist/ must
 * be built). Chaos tests kill them (CONDUIT_FAULT, SIGKILL, SIGTERM) and start replacements.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventually } from './stub-worker';
import { scratchDir } from './scratch';

export interface CliWorker {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** How the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once it polls its task queue. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGTERM (finish in-flight work, then exit) and wait for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface CliResult {
  /** The exit code; null when a signal or the timeout ended it. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout then stderr. */
  output: string;
}

/** Runs `node bin/conduit.js ARGS` to its end (the compiled CLI: dist/ must be built). */
export function runConduit(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 170_000): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [resolve(__dirname, '../../bin/conduit.js'), ...args],
      { env: { ...process.env, ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        done({ code, stdout, stderr, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** Writes a pipeline document (JSON is YAML) to a fresh temporary file. */
export function writePipelineFile(document: Record<string, unknown>): string {
  const file = join(scratchDir('worker'), 'pipeline.yaml');
  writeFileSync(file, JSON.stringify(document));
  return file;
}

/** Starts worker processes and kills whatever is still running at `killAll` (call it in afterAll). */
export class CliWorkers {
  private readonly children: ChildProcess[] = [];

  start(configFile: string, env: NodeJS.ProcessEnv, args: string[] = []): CliWorker {
    const child = spawn(
      process.execPath,
      [resolve(__dirname, '../../bin/conduit.js'), 'worker', '--config', configFile, ...args],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.children.push(child);
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr.on('data', (c: Buffer) => (text += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.once('exit', (code, signal) => r({ code, signal })),
    );
    const output = () => text;
    const ready = async (timeoutMs = 90_000) => {
      await eventually(
        async () => (output().includes('worker serving') ? true : undefined),
        timeoutMs,
        `the worker to start:\n${output()}`,
      );
    };
    const stop = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    };
    return { child, output, exited, ready, stop };
  }

  async killAll(): Promise<void> {
    const running = this.children.filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(
      running.map(
        (child) =>
          new Promise<void>((r) => {
            child.once('exit', () => r());
            child.kill('SIGKILL');
          }),
      ),
    );
  }
}
