/**
 * The local BigQuery emulator for the tests, `conduit dev` and the demo: bqemulator behind Conduit's
 * adapter (emulator/bigquery/conduit_bigquery.py), run from the venv scripts/provision-bigquery-emulator.sh
 * builds in the local tools folder (paths.ts). In memory; docs/bigquery-emulator.md lists where it differs
 * from BigQuery. Product code reaches it through `apiEndpoint` with the official client.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { BigQueryDestination } from '../config/pipeline';
import { localToolsDir, projectRoot } from './paths';
import { freePort } from './ports';
import { exited, stopChild } from './processes';
import type { RunningService } from './types';

export const BIGQUERY_EMULATOR_DEFAULTS = { host: '127.0.0.1', project: 'conduit-local', dataset: 'conduit' } as const;

export interface BigQueryEmulatorService extends RunningService {
  /** http://host:port, the client's `apiEndpoint`. */
  apiEndpoint: string;
  project: string;
  pid: number;
}

export interface BigQueryEmulatorOptions {
  /** How long to wait for /readyz. Default 60 s (a start takes about 4 s; much of it importing DuckDB). */
  startTimeoutMs?: number;
  /** Python to run; the provisioned venv (`bigQueryEmulatorPython()`) when omitted. */
  python?: string;
  project?: string;
}

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_CHARS = 8_000;
const POLL_MS = 200;

/** $CONDUIT_BIGQUERY_EMULATOR_PYTHON, else the provisioned venv (.conduit/bigquery-venv in a checkout). */
export function bigQueryEmulatorPython(root: string = projectRoot()): string {
  return process.env.CONDUIT_BIGQUERY_EMULATOR_PYTHON || join(localToolsDir(root), 'bigquery-venv', 'bin', 'python');
}

/** Starts the emulator on a free port and waits until it answers /readyz; `stop()` ends its process group. */
export async function startBigQueryEmulator(opts: BigQueryEmulatorOptions = {}): Promise<BigQueryEmulatorService> {
  const root = projectRoot();
  const python = opts.python ?? bigQueryEmulatorPython(root);
  const script = join(root, 'emulator', 'bigquery', 'conduit_bigquery.py');
  if (!existsSync(python)) {
    throw new Error(
      `the BigQuery emulator's Python (${python}) is missing: run scripts/provision-bigquery-emulator.sh ` +
        '(npm test runs it through scripts/bootstrap.sh)',
    );
  }
  const project = opts.project ?? BIGQUERY_EMULATOR_DEFAULTS.project;
  const port = await freePort();
  const { host } = BIGQUERY_EMULATOR_DEFAULTS;
  const child = spawn(
    python,
    [
      script,
      'start',
      '--rest-host',
      host,
      '--rest-port',
      String(port),
      '--grpc-host',
      host,
      '--grpc-port',
      '0',
      '--project',
      project,
      '--ephemeral',
      '--log-level',
      'warning',
      '--log-format',
      'console',
      // stdin is a pipe only we hold: if this process dies without stop(), the emulator sees EOF and exits
      '--exit-on-stdin-eof',
    ],
    { stdio: ['pipe', 'ignore', 'pipe'], detached: true, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
  );
  const pid = child.pid;
  if (pid === undefined) {
    await exited(child);
    throw new Error(`could not start the BigQuery emulator with ${python}`);
  }
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  const stop = () => stopChild(child, STOP_GRACE_MS, (signal) => killGroup(pid, signal));
  const apiEndpoint = `http://${host}:${port}`;
  try {
    await waitUntilReady(apiEndpoint, child, opts.startTimeoutMs ?? START_TIMEOUT_MS, () => stderrTail);
  } catch (error) {
    await stop();
    throw error;
  }
  unrefStream(child.stderr);
  unrefStream(child.stdin);
  child.unref();
  let stopping: Promise<void> | undefined;
  return {
    apiEndpoint,
    project,
    pid,
    stop: () => {
      stopping ??= (async () => {
        child.stdin.end();
        await stop();
      })();
      return stopping;
    },
  };
}

async function waitUntilReady(
  apiEndpoint: string,
  child: ReturnType<typeof spawn>,
  timeoutMs: number,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the BigQuery emulator exited before it was ready; its stderr ends with:\n${stderr().trim()}`);
    }
    const ready = await fetch(`${apiEndpoint}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  throw new Error(
    `the BigQuery emulator was not ready within ${timeoutMs} ms; its stderr ends with:\n${stderr().trim()}`,
  );
}

function unrefStream(stream: unknown): void {
  if (stream instanceof Socket) stream.unref();
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** A pipeline destination on the emulator: no credentials, the emulator's endpoint. */
export function bigQueryEmulatorDestination(
  service: Pick<BigQueryEmulatorService, 'apiEndpoint' | 'project'>,
  dataset: string = BIGQUERY_EMULATOR_DEFAULTS.dataset,
): BigQueryDestination {
  return { type: 'bigquery', project: service.project, dataset, schema: dataset, apiEndpoint: service.apiEndpoint };
}
