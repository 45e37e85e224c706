/**
 * The local Snowflake emulator for `conduit dev`, the demo, the benchmark and the tests: fakesnow's
 * server behind our adapter (emulator/conduit_emulator.py), run from the venv that
 * scripts/provision-emulator.sh builds in the local tools folder (paths.ts). See docs/snowflake-emulator.md for what it
 * emulates and where it differs from Snowflake. Product code speaks plain Snowflake SQL to it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SnowflakeDestination } from '../config/pipeline';
import type { SnowflakeSession } from '../connectors/snowflake/connection';
import { freePort } from './ports';
import { exited, stopChild } from './processes';
import type { SnowflakeEmulatorService } from './types';
import { localToolsDir, projectRoot } from './paths';

/**
 * Names the emulator reports, and the one user it starts with (more with `CREATE USER … PASSWORD`;
 * it refuses a wrong password as Snowflake does). fakesnow accepts any account; it upper-cases the
 * database and schema named at login, so the defaults are upper case (quoted mixed-case names work
 * in SQL, just not as the login database/schema).
 */
export const EMULATOR_DEFAULTS = {
  host: '127.0.0.1',
  account: 'conduit',
  user: 'conduit',
  password: 'conduit',
  database: 'CONDUIT',
  schema: 'PUBLIC',
  warehouse: 'CONDUIT_WH',
} as const;

export interface SnowflakeEmulatorOptions {
  /** Port to listen on; a free one when omitted. */
  port?: number;
  /**
   * Where stage files are kept; kept at stop. A temporary directory (removed at stop) when
   * omitted. Databases are always in memory.
   */
  dataDir?: string;
  /** How long to wait for the ready line. Default 30 s (a start takes about 1 s). */
  startTimeoutMs?: number;
  /** Python to run; the provisioned venv (`emulatorPython()`) when omitted. */
  python?: string;
}

export interface SnowflakeEmulator extends SnowflakeEmulatorService {
  readonly pid: number;
  /** http://host:port */
  readonly url: string;
  /** Where stage files live (under `stages/<database>/<schema>/<stage>/`). */
  readonly dataDir: string;
}

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_CHARS = 8_000;
const PORT_ATTEMPTS = 3;
const READY_LINE = /^conduit-emulator listening on (\S+)\s*$/m;

/** The emulator's Python: $CONDUIT_EMULATOR_PYTHON, else the provisioned venv (.conduit/venv in a checkout). */
export function emulatorPython(root: string = projectRoot()): string {
  return process.env.CONDUIT_EMULATOR_PYTHON || join(localToolsDir(root), 'venv', 'bin', 'python');
}

class PortInUseError extends Error {}

/**
 * Starts the emulator, waits until it accepts connections, and makes sure the default database
 * and schema (EMULATOR_DEFAULTS) exist. `stop()` ends the process group and removes the temporary
 * data directory.
 */
export async function startSnowflakeEmulator(opts: SnowflakeEmulatorOptions = {}): Promise<SnowflakeEmulator> {
  const root = projectRoot();
  const python = opts.python ?? emulatorPython(root);
  const script = join(root, 'emulator', 'conduit_emulator.py');
  if (!existsSync(python)) {
    throw new Error(
      `the Snowflake emulator's Python (${python}) is missing: run scripts/provision-emulator.sh ` +
        '(npm test, npm run demo, conduit dev and conduit demo run it)',
    );
  }
  if (!existsSync(script)) throw new Error(`the Snowflake emulator script is missing: ${script}`);

  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'conduit-snowflake-'));
  mkdirSync(dataDir, { recursive: true });
  try {
    for (let attempt = 1; ; attempt++) {
      const port = opts.port ?? (await freePort());
      try {
        return await launch({
          python,
          script,
          port,
          dataDir,
          ownsDataDir,
          timeoutMs: opts.startTimeoutMs ?? START_TIMEOUT_MS,
        });
      } catch (error) {
        // freePort() cannot reserve the port: another process may take it before we bind it.
        if (error instanceof PortInUseError && opts.port === undefined && attempt < PORT_ATTEMPTS) continue;
        throw error;
      }
    }
  } catch (error) {
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

interface LaunchArgs {
  python: string;
  script: string;
  port: number;
  dataDir: string;
  ownsDataDir: boolean;
  timeoutMs: number;
}

async function launch(args: LaunchArgs): Promise<SnowflakeEmulator> {
  const { host, database, schema, user, password } = EMULATOR_DEFAULTS;
  const child = spawn(
    args.python,
    [
      args.script,
      '--host',
      host,
      '--port',
      String(args.port),
      '--data-dir',
      args.dataDir,
      '--database',
      database,
      '--schema',
      schema,
      // Logins must give this user's password, as on Snowflake (a wrong one is refused with 390100).
      '--user',
      user,
      '--password',
      password,
      // stdin is a pipe only we hold: if this process dies without stop(), the emulator sees EOF and exits
      '--exit-on-stdin-eof',
    ],
    // its own process group, so stop() ends it and anything it started
    { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
  );
  const pid = child.pid;
  if (pid === undefined) {
    await exited(child);
    throw new Error(`could not start the Snowflake emulator with ${args.python}`);
  }

  let stdout = '';
  let stderrTail = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-OUTPUT_TAIL_CHARS);
  });

  const url = await new Promise<string>((resolveReady, rejectReady) => {
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      rejectReady(error);
    };
    const onData = (chunk: string): void => {
      stdout = (stdout + chunk).slice(-OUTPUT_TAIL_CHARS);
      const match = READY_LINE.exec(stdout);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      resolveReady(match[1]);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      const why = `the Snowflake emulator exited before it was ready (${signal ?? `exit code ${code}`})`;
      if (/address already in use/i.test(stderrTail)) fail(new PortInUseError(`${why}: port ${args.port} is in use`));
      else fail(new Error(`${why}; its stderr ends with:\n${stderrTail.trim()}`));
    };
    const onError = (error: Error): void => fail(new Error(`could not run ${args.python}: ${error.message}`));
    const timer = setTimeout(() => {
      killGroup(pid, 'SIGKILL');
      fail(
        new Error(
          `the Snowflake emulator did not report ready within ${args.timeoutMs} ms; its stderr ends ` +
            `with:\n${stderrTail.trim()}`,
        ),
      );
    }, args.timeoutMs);
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });

  // Keep draining output (a full pipe would block the emulator) without holding the event loop open.
  child.stdout.on('data', () => undefined);
  unrefStream(child.stdout);
  unrefStream(child.stderr);
  unrefStream(child.stdin);
  child.unref();

  let stopping: Promise<void> | undefined;
  const { account, warehouse } = EMULATOR_DEFAULTS;
  return {
    pid,
    url,
    dataDir: args.dataDir,
    host,
    port: args.port,
    protocol: 'http',
    account,
    user,
    password,
    database,
    schema,
    warehouse,
    stop(): Promise<void> {
      stopping ??= (async () => {
        // EOF on stdin asks it to exit too (--exit-on-stdin-eof)
        child.stdin.end();
        await stopChild(child, STOP_GRACE_MS, (signal) => killGroup(pid, signal));
        if (args.ownsDataDir) rmSync(args.dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** A child's piped stdio streams are sockets, which can stop holding the event loop open. */
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

/** A pipeline destination pointing at the emulator (same shape as a real Snowflake account's). */
export function emulatorDestination(service: Omit<SnowflakeEmulatorService, 'stop'>): SnowflakeDestination {
  return {
    type: 'snowflake',
    account: service.account,
    user: service.user,
    password: service.password,
    database: service.database,
    schema: service.schema,
    warehouse: service.warehouse,
    host: service.host,
    port: service.port,
    protocol: service.protocol,
  };
}

/** Opens a product session (src/connectors/snowflake/connection.ts) on the emulator; loads the SDK on first use. */
export async function connectToEmulator(service: SnowflakeEmulatorService): Promise<SnowflakeSession> {
  const { connectSnowflake } = await import('../connectors/snowflake/connection.js');
  return connectSnowflake(emulatorDestination(service));
}
