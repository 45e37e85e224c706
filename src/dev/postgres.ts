/**
 * A throwaway local PostgreSQL cluster for `conduit dev`, the demo, the benchmark and the tests.
 *
 * initdb + pg_ctl from the server binaries installed on the machine (no Docker). The cluster has
 * one role, `conduit` (the bootstrap superuser, so tests can do anything), with a generated
 * password and scram-sha-256 for every connection, local or TCP: password authentication is real,
 * as it is for the product against a production server. Durability is traded for speed (fsync,
 * synchronous_commit and full_page_writes off): a crash loses the cluster, which is fine here.
 *
 * PostgreSQL refuses to run as root; when we are root the binaries run as the `postgres` OS user
 * and the cluster lives under the temp directory (the checkout may sit under /root, which that
 * user cannot traverse).
 */
import { execFile, execFileSync, spawnSync, type ExecFileOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './ports';
import { stopOnExit } from './processes';
import type { PostgresService } from './types';

export const POSTGRES_DEFAULTS = {
  host: '127.0.0.1',
  user: 'conduit',
  database: 'conduit_source',
} as const;

export interface StartPostgresOptions {
  /** TCP port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /**
   * Cluster directory. Reused when it already holds a cluster made by startPostgres (its
   * credentials are kept next to the data); created (initdb) when missing or empty. A temporary
   * directory when omitted.
   */
  dataDir?: string;
  /**
   * Leave the cluster's files in place at stop(). Defaults to true when `dataDir` is given (never
   * delete a directory the caller named unless asked) and false for the temporary one.
   */
  keep?: boolean;
  /** How long pg_ctl waits for the server to accept connections. Default 60 s. */
  startTimeoutMs?: number;
}

export interface LocalPostgres extends PostgresService {
  /** The postmaster's pid. */
  readonly pid: number;
  readonly dataDir: string;
  /** The server log (removed at stop unless the cluster is kept). */
  readonly logFile: string;
  /** Directory of the Unix socket (psql -h <socketDir> -p <port>). */
  readonly socketDir: string;
  /**
   * Stops the server (fast mode: sessions are cut, as in a real restart), waits `downMs`, and
   * starts it again on the same port and data: what the chaos tests do mid-extract.
   */
  restart(downMs?: number): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const LOG_TAIL_CHARS = 6_000;
const CREDENTIALS_FILE = 'conduit-credentials.json';
/** Settings for a throwaway cluster, appended to postgresql.conf by initdb time. */
const TUNING = [
  '# conduit: throwaway local cluster, durability traded for speed',
  'fsync = off',
  'synchronous_commit = off',
  'full_page_writes = off',
  '',
].join('\n');

/** Where initdb and pg_ctl are: $PG_BIN, `pg_config --bindir`, then the newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string {
  const tried: string[] = [];
  const hasServer = (dir: string): boolean => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'));
  const fromEnv = process.env['PG_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (hasServer(fromEnv)) return fromEnv;
    throw new Error(`PG_BIN=${fromEnv} has no initdb/pg_ctl: point it at a PostgreSQL server bin directory`);
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (hasServer(dir)) return dir;
    tried.push(`${dir} (from pg_config --bindir)`);
  } catch {
    tried.push('pg_config (not found)');
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+(\.\d+)?$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of versions) {
    const dir = join(root, v, 'bin');
    if (hasServer(dir)) return dir;
    tried.push(dir);
  }
  if (versions.length === 0) tried.push(`${root}/*/bin`);
  throw new Error(
    `PostgreSQL server binaries (initdb, pg_ctl) not found; tried ${tried.join(', ')}. ` +
      'Install the PostgreSQL server (e.g. `apt-get install postgresql`) or set PG_BIN to its bin directory.',
  );
}

interface OsUser {
  uid: number;
  gid: number;
}

/** The OS user the server runs as: ourselves, or `postgres` when we are root. */
function serverOsUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(
      execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    const gid = Number(
      execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid };
  } catch {
    // fall through
  }
  throw new Error(
    'running as root, and PostgreSQL refuses to run as root, but there is no `postgres` OS user to run it as: ' +
      'create one (installing the postgresql package does) or run as a normal user',
  );
}

function giveTo(path: string, user: OsUser | undefined): void {
  if (user !== undefined) chownSync(path, user.uid, user.gid);
}

function tail(path: string): string {
  try {
    const text = readFileSync(path, 'utf8').slice(-LOG_TAIL_CHARS).trimEnd();
    return text === '' ? '(empty)' : text;
  } catch {
    return '(no log)';
  }
}

class CommandError extends Error {}

/** Runs a PostgreSQL binary as the server's OS user; rejects with its output. */
function run(bin: string, args: string[], user: OsUser | undefined, cwd: string, timeoutMs = 120_000): Promise<string> {
  const options: ExecFileOptions = { cwd, timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C' } };
  if (user !== undefined) {
    options.uid = user.uid;
    options.gid = user.gid;
  }
  return new Promise((resolvePromise, reject) => {
    execFile(bin, args, { ...options, encoding: 'utf8' }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (error)
        reject(new CommandError(`${bin} ${args.join(' ')} failed (${error.message.split('\n')[0]}):\n${output}`));
      else resolvePromise(output);
    });
  });
}

function runSync(bin: string, args: string[], user: OsUser | undefined, cwd: string): void {
  spawnSync(bin, args, { cwd, stdio: 'ignore', timeout: 30_000, uid: user?.uid, gid: user?.gid });
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a live process (a zombie waiting to be reaped by init counts as gone). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S …"; comm may contain spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

interface Credentials {
  user: string;
  password: string;
}

function readCredentials(dataDir: string): Credentials {
  const file = join(dataDir, CREDENTIALS_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new Error(
      `${dataDir} holds a PostgreSQL cluster that startPostgres did not create (no readable ${CREDENTIALS_FILE})`,
    );
  }
  if (typeof parsed === 'object' && parsed !== null && 'user' in parsed && 'password' in parsed) {
    const { user, password } = parsed;
    if (typeof user === 'string' && typeof password === 'string') return { user, password };
  }
  throw new Error(`${file} is malformed`);
}

async function initCluster(
  bin: string,
  dataDir: string,
  runDir: string,
  user: OsUser | undefined,
): Promise<Credentials> {
  const credentials: Credentials = { user: POSTGRES_DEFAULTS.user, password: randomBytes(18).toString('base64url') };
  const pwfile = join(runDir, 'pwfile');
  writeFileSync(pwfile, `${credentials.password}\n`, { mode: 0o600 });
  giveTo(pwfile, user);
  try {
    await run(
      join(bin, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        credentials.user,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--no-locale',
        '--no-sync',
      ],
      user,
      runDir,
    );
  } finally {
    rmSync(pwfile, { force: true });
  }
  appendFileSync(join(dataDir, 'postgresql.conf'), `\n${TUNING}`);
  const credentialsFile = join(dataDir, CREDENTIALS_FILE);
  writeFileSync(credentialsFile, `${JSON.stringify(credentials)}\n`, { mode: 0o600 });
  giveTo(credentialsFile, user);
  return credentials;
}

/**
 * Creates (or reuses, see `dataDir`) a cluster, starts it on 127.0.0.1 and makes sure the
 * `conduit_source` database owned by `conduit` exists.
 */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<LocalPostgres> {
  const bin = postgresBinDir();
  const user = serverOsUser();
  const keep = opts.keep ?? opts.dataDir !== undefined;

  // Our own directory under the temp dir: the socket, the log, and (when no dataDir was given)
  // the cluster itself. Owned by the server's user, private to it.
  const base = mkdtempSync(join(tmpdir(), 'conduit-pg-'));
  giveTo(base, user);
  const ownsData = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? join(base, 'data');
  const logFile = join(base, 'postgres.log');
  const cleanUpFiles = (): void => {
    if (ownsData && keep) return; // the data is inside base
    rmSync(base, { recursive: true, force: true });
    if (!ownsData && !keep) rmSync(dataDir, { recursive: true, force: true });
  };

  let credentials: Credentials;
  try {
    if (existsSync(join(dataDir, 'PG_VERSION'))) {
      credentials = readCredentials(dataDir);
    } else {
      if (!ownsData) {
        // Parents traversable by the server's user (umask permitting), the cluster dir private.
        mkdirSync(dirname(dataDir), { recursive: true });
        mkdirSync(dataDir, { recursive: true, mode: 0o700 });
        giveTo(dataDir, user);
      }
      credentials = await initCluster(bin, dataDir, base, user);
    }
  } catch (error) {
    cleanUpFiles();
    throw new Error(`could not create a PostgreSQL cluster in ${dataDir}: ${(error as Error).message}`);
  }

  const pgCtl = join(bin, 'pg_ctl');
  const timeoutSeconds = Math.ceil((opts.startTimeoutMs ?? START_TIMEOUT_MS) / 1000);
  let port = 0;
  let started = false;
  const serverOptions = (): string =>
    ['-c listen_addresses=127.0.0.1', `-c port=${port}`, `-c unix_socket_directories='${base}'`].join(' ');
  const pgStart = () =>
    run(
      pgCtl,
      ['-D', dataDir, '-l', logFile, '-w', '-t', String(timeoutSeconds), '-o', serverOptions(), 'start'],
      user,
      base,
      (timeoutSeconds + 10) * 1000,
    );
  for (let attempt = 1; !started; attempt++) {
    port = opts.port ?? (await freePort());
    try {
      await pgStart();
      started = true;
    } catch (error) {
      const log = tail(logFile);
      // pg_ctl may have left a server behind if it timed out waiting for it.
      runSync(pgCtl, ['-D', dataDir, 'stop', '-m', 'immediate', '-w'], user, base);
      const portClash = /could not bind|address already in use/i.test(log);
      if (portClash && opts.port === undefined && attempt < 3) {
        // A log of a failed attempt would confuse the next one's error message.
        rmSync(logFile, { force: true });
        continue;
      }
      cleanUpFiles();
      throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n--- server log (tail) ---\n${log}`);
    }
  }

  const emergencyStop = (): void => {
    runSync(pgCtl, ['-D', dataDir, 'stop', '-m', 'immediate', '-w'], user, '/');
    cleanUpFiles();
  };
  // Stopped in immediate mode if this process exits without stop().
  const forgetOnExit = stopOnExit(emergencyStop);

  const service = {
    host: POSTGRES_DEFAULTS.host,
    port,
    user: credentials.user,
    password: credentials.password,
    database: POSTGRES_DEFAULTS.database,
  };
  let pid: number;
  try {
    const found = postmasterPid(dataDir);
    if (found === undefined) throw new Error(`no postmaster.pid in ${dataDir} after pg_ctl start`);
    pid = found;
    await ensureDatabase(service);
  } catch (error) {
    forgetOnExit();
    emergencyStop();
    throw new Error(
      `PostgreSQL started but could not be set up: ${(error as Error).message}\n--- server log (tail) ` +
        `---\n${tail(logFile)}`,
    );
  }

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    try {
      await run(pgCtl, ['-D', dataDir, 'stop', '-m', 'fast', '-w', '-t', '60'], user, base, 70_000);
    } catch {
      runSync(pgCtl, ['-D', dataDir, 'stop', '-m', 'immediate', '-w'], user, '/');
    }
    // pg_ctl -w returns once postmaster.pid is gone; the process itself may take a moment more.
    if (!(await waitForExit(pid, 10_000))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      await waitForExit(pid, 5_000);
    }
    forgetOnExit();
    cleanUpFiles();
  };
  const restart = async (downMs = 0): Promise<void> => {
    await run(pgCtl, ['-D', dataDir, 'stop', '-m', 'fast', '-w', '-t', '60'], user, base, 70_000);
    await waitForExit(pid, 10_000);
    await new Promise((r) => setTimeout(r, downMs));
    await pgStart();
    pid = postmasterPid(dataDir) ?? pid;
  };
  return {
    ...service,
    get pid() {
      return pid;
    },
    dataDir,
    logFile,
    socketDir: base,
    restart,
    stop(): Promise<void> {
      stopping ??= stop();
      return stopping;
    },
  };
}

/** Creates the `conduit_source` database (owned by the login role) unless it exists; over TCP with the password. */
async function ensureDatabase(service: {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}): Promise<void> {
  const client = new Client({
    host: service.host,
    port: service.port,
    user: service.user,
    password: service.password,
    database: 'postgres',
  });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [service.database]);
    if (found.rowCount === 0) {
      await client.query(
        `CREATE DATABASE "${service.database.replace(/"/g, '""')}" OWNER "${service.user.replace(/"/g, '""')}"`,
      );
    }
  } finally {
    await client.end();
  }
}
