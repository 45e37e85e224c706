/**
 * The local Temporal dev server (`temporal server start-dev`) for `conduit dev`, the demo, the
 * benchmark and the tests.
 *
 * We spawn the CLI ourselves instead of `TestWorkflowEnvironment.createLocal`: that one downloads
 * a CLI from temporal.io (unreachable here) unless given a path, and gives up after about 5 s,
 * while a cold start of the dev server can take longer. scripts/provision-temporal.sh provides
 * the CLI.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { CONDUIT_SEARCH_ATTRIBUTES, ensureSearchAttributes, type SearchAttributeTypeName } from '../search-attributes';
import { freePort } from './ports';
import { stopChild, stopOnExit } from './processes';
import type { TemporalService } from './types';
import { localToolsDir } from './paths';

// One definition for the dev server, the worker's start-up check, the client and the workflows.
export { CONDUIT_SEARCH_ATTRIBUTES, ensureSearchAttributes, type SearchAttributeTypeName } from '../search-attributes';

export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

export interface TemporalDevServerOptions {
  /** Frontend gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; a free one when omitted. */
  uiPort?: number;
  /** SQLite file to persist state in; in memory (gone at stop) when omitted. */
  dbFile?: string;
  /** Namespace to create and wait for; `default` (always created by the dev server) when omitted. */
  namespace?: string;
  /** Extra search attributes; CONDUIT_SEARCH_ATTRIBUTES are always registered. */
  searchAttributes?: Record<string, SearchAttributeTypeName>;
  /** How long to wait for the frontend to answer. Default 60 s (a cold start can take > 5 s). */
  startTimeoutMs?: number;
  /** CLI binary; `temporalCliPath()` when omitted. */
  cliPath?: string;
}

export interface TemporalDevServer extends TemporalService {
  readonly pid: number;
  readonly port: number;
  readonly uiPort: number;
}

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const OUTPUT_TAIL_CHARS = 8_000;

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Temporal CLI to run, in the same order as scripts/provision-temporal.sh: $TEMPORAL_CLI,
 * `temporal` on PATH, then the provisioned bin/temporal of the local tools folder (.conduit in a checkout).
 */
export function temporalCliPath(): string {
  const fromEnv = process.env['TEMPORAL_CLI'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isExecutableFile(fromEnv)) {
      throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    }
    return fromEnv;
  }
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'temporal');
    if (isExecutableFile(candidate)) return candidate;
  }
  const local = join(localToolsDir(), 'bin', 'temporal');
  if (isExecutableFile(local)) return local;
  throw new Error(
    `no Temporal CLI found (looked at $TEMPORAL_CLI, \`temporal\` on PATH and ${local}): ` +
      'run scripts/provision-temporal.sh (conduit dev, conduit demo and scripts/bootstrap.sh run it)',
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Keeps the last few KB a child wrote, for error messages. */
class OutputTail {
  private text = '';
  append(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  }
  toString(): string {
    return this.text.trim() === '' ? '(no output)' : this.text.trimEnd();
  }
}

/** Polls the frontend until the namespace answers and the search attributes are there. */
async function waitUntilReady(
  address: string,
  namespace: string,
  attributes: Readonly<Record<string, SearchAttributeTypeName>>,
  hasExited: () => boolean,
  deadline: number,
): Promise<void> {
  let lastError: unknown = new Error('no attempt made');
  while (Date.now() < deadline && !hasExited()) {
    // lazy + ensureConnected, so the connection is closed even when connecting fails (a failed
    // Connection.connect leaves its gRPC channel open and keeps the process alive).
    const connection = Connection.lazy({ address, connectTimeout: 2_000 });
    try {
      try {
        await connection.ensureConnected();
        await connection.workflowService.describeNamespace({ namespace });
        // The dev server registers them when it creates the namespace; a reused --db-filename
        // made before an attribute was added lacks it, so add what is missing.
        await ensureSearchAttributes(connection, namespace, attributes);
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
    }
    await sleep(250);
  }
  if (hasExited()) throw new Error('the dev server exited during startup');
  throw new Error(`the dev server did not answer in time (last error: ${describeError(lastError)})`);
}

function childEnv(): NodeJS.ProcessEnv {
  // The CLI reads TEMPORAL_* (address, namespace, TLS, API key…) as client defaults; a dev server
  // we start must not inherit a developer's cloud settings.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('TEMPORAL_')) env[k] = v;
  }
  return env;
}

async function startOnce(
  cli: string,
  port: number,
  uiPort: number,
  opts: TemporalDevServerOptions,
): Promise<{ server: TemporalDevServer } | { retry: string }> {
  const namespace = opts.namespace ?? DEFAULT_TEMPORAL_NAMESPACE;
  const attributes: Record<string, SearchAttributeTypeName> = {
    ...CONDUIT_SEARCH_ATTRIBUTES,
    ...opts.searchAttributes,
  };
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort)];
  // `default` is always created; naming it again would create it twice.
  if (namespace !== 'default') args.push('--namespace', namespace);
  if (opts.dbFile !== undefined) args.push('--db-filename', opts.dbFile);
  for (const [name, type] of Object.entries(attributes)) args.push('--search-attribute', `${name}=${type}`);
  args.push('--log-level', 'warn', '--color', 'never');

  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  const output = new OutputTail();
  child.stdout.on('data', (c: Buffer) => output.append(c));
  child.stderr.on('data', (c: Buffer) => output.append(c));
  let spawnError: Error | undefined;
  child.on('error', (e) => {
    spawnError = e;
  });
  const forgetOnExit = stopOnExit(() => child.kill('SIGKILL'));
  const hasExited = (): boolean => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;

  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilReady(
      address,
      namespace,
      attributes,
      hasExited,
      Date.now() + (opts.startTimeoutMs ?? START_TIMEOUT_MS),
    );
  } catch (error) {
    await stopChild(child, 2_000);
    forgetOnExit();
    const text = output.toString();
    const portClash = /address already in use|can't (set|use default) UI port|port .* (in use|not free)/i.test(text);
    if (portClash && opts.port === undefined && opts.uiPort === undefined) return { retry: text };
    const how = spawnError !== undefined ? `could not run ${cli}: ${spawnError.message}` : describeError(error);
    throw new Error(`Temporal dev server on ${address} failed to start: ${how}\n--- its output (tail) ---\n${text}`);
  }

  const pid = child.pid;
  if (pid === undefined) throw new Error('the dev server has no pid');
  let stopping: Promise<void> | undefined;
  return {
    server: {
      address,
      namespace,
      uiUrl: `http://127.0.0.1:${uiPort}`,
      pid,
      port,
      uiPort,
      stop(): Promise<void> {
        stopping ??= stopChild(child, STOP_GRACE_MS).then(() => {
          forgetOnExit();
        });
        return stopping;
      },
    },
  };
}

/**
 * Starts `temporal server start-dev` on 127.0.0.1 with the Web UI, registers the search
 * attributes, and resolves once the frontend answers for the namespace.
 */
export async function startTemporalDevServer(opts: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  const cli = opts.cliPath ?? temporalCliPath();
  // Free ports are probed, then bound by the server a moment later; another process can take one
  // in between, so retry with fresh ports when we chose them.
  let lastClash = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = opts.port ?? (await freePort());
    let uiPort = opts.uiPort ?? (await freePort());
    while (uiPort === port) uiPort = await freePort();
    const result = await startOnce(cli, port, uiPort, opts);
    if ('server' in result) return result.server;
    lastClash = result.retry;
  }
  throw new Error(`Temporal dev server could not bind free ports after 3 attempts:\n${lastClash}`);
}
