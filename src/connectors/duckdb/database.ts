/**
 * DuckDB database files opened by this process. DuckDB lets one process write a file: it takes an OS
 * lock that a second process fails on, but two instances inside one process would both get it and
 * corrupt the file. So each file has exactly one DuckDBInstance here, found by the file's real path and
 * shared by every session (each with a connection of its own); it is closed with its last session, which
 * checkpoints the file and lets other processes (a user's `duckdb` shell, another worker) open it. Between
 * activities the worker keeps sessions open anyway (connectors/sessions.ts).
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { PermanentError } from '../errors';
import { FailureType } from '../../failure-types';

/**
 * Another process has the file open (DuckDB's lock). Retryable: Temporal retries the activity, which
 * succeeds once that process lets go; the message says how to avoid the wait.
 */
class DuckDbFileLockedError extends Error {
  constructor(path: string, options?: ErrorOptions) {
    super(
      `another process holds the DuckDB file ${path}; run DuckDB pipelines on one worker (docs/destinations.md)`,
      options,
    );
    this.name = 'DuckDbFileLockedError';
  }
}

/**
 * A file this process has open, or is opening. Sessions are counted from the moment they ask for the
 * file, before its instance is ready, so a session closing meanwhile never closes it under them.
 */
interface OpenFile {
  instance: Promise<DuckDBInstance>;
  /** What the instance was opened with. */
  settings: DatabaseSettings;
  sessions: number;
  /** Queues of work on this file (see `exclusive`). */
  queues: Map<string, Promise<void>>;
  /** Work running with a raised memory limit (`withMemoryLimit`). */
  raised: number;
}

const files = new Map<string, OpenFile>();
/** Files whose last session closed, until their instance is closed: a new open of the file waits for it. */
const closing = new Map<string, Promise<void>>();

/** The file's path with symbolic links resolved, also for a file DuckDB has yet to create. */
function canonicalPath(path: string): string {
  const absolute = resolve(path);
  if (existsSync(absolute)) return realpathSync(absolute);
  const folder = dirname(absolute);
  if (!existsSync(folder)) {
    throw new PermanentError(
      `the folder of the DuckDB file ${absolute} does not exist: create it or fix destination.path`,
      FailureType.DuckDbFile,
    );
  }
  return join(realpathSync(folder), basename(absolute));
}

/** A connection on the file's shared instance; `release` closes it, and the instance with the last one. */
export interface DatabaseConnection {
  path: string;
  connection: DuckDBConnection;
  /** Runs `work` after every earlier `exclusive` call with the same key on this file has finished. */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Runs `work` with the memory limit raised to `limit`, instance-wide, until the last such work ends. */
  withMemoryLimit<T>(limit: string, work: () => Promise<T>): Promise<T>;
  release(): void;
}

/**
 * How much of the worker DuckDB may use: its buffer pool (`memory_limit`; loads spill to the file beyond it) and
 * threads. Defaults measured loading a 10M-row, 132 MB zstd CSV on 2 cores: DuckDB's own defaults (80% of RAM,
 * a thread per core) peaked at 430 MB RSS; 128 MB and one thread at 256 MB (83 MB of it Node and DuckDB idle),
 * as fast; 64 MB ran out of memory. Insertion order is not kept: rows of a load have no order to keep.
 */
export interface DatabaseSettings {
  memoryLimit: string;
  threads: number;
}

export const DEFAULT_DATABASE_SETTINGS: DatabaseSettings = { memoryLimit: '128MB', threads: 1 };

/** The first session on a file opens it with `settings`; later ones share that instance. */
export async function connectDatabase(
  path: string,
  settings: DatabaseSettings = DEFAULT_DATABASE_SETTINGS,
): Promise<DatabaseConnection> {
  const canonical = canonicalPath(path);
  let file = files.get(canonical);
  if (!file) {
    file = { instance: openFile(canonical, settings), settings, sessions: 0, queues: new Map(), raised: 0 };
    files.set(canonical, file);
  }
  const open = file;
  open.sessions++;
  let connection: DuckDBConnection;
  try {
    connection = await (await open.instance).connect();
  } catch (error) {
    await releaseFile(canonical, open);
    throw error;
  }
  let released = false;
  return {
    path: canonical,
    connection,
    exclusive: (key, work) => exclusive(open, key, work),
    async withMemoryLimit(limit, work) {
      if (open.raised++ === 0) await connection.run(`SET memory_limit = '${limit}'`);
      try {
        return await work();
      } finally {
        if (--open.raised === 0) await connection.run(`SET memory_limit = '${open.settings.memoryLimit}'`);
      }
    },
    release: () => {
      if (released) return;
      released = true;
      connection.closeSync();
      void releaseFile(canonical, open);
    },
  };
}

/** The last session closes the instance (a failed open has none: the next session tries again). */
async function releaseFile(canonical: string, file: OpenFile): Promise<void> {
  file.sessions--;
  if (file.sessions > 0) return;
  if (files.get(canonical) === file) files.delete(canonical);
  const closed = file.instance.then(
    (instance) => instance.closeSync(),
    () => undefined,
  );
  closing.set(canonical, closed);
  await closed;
  if (closing.get(canonical) === closed) closing.delete(canonical);
}

async function openFile(path: string, settings: DatabaseSettings): Promise<DuckDBInstance> {
  await closing.get(path);
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new PermanentError(
      `the DuckDB file ${path} is a directory: point destination.path at a file`,
      FailureType.DuckDbFile,
    );
  }
  try {
    return await DuckDBInstance.create(path, {
      memory_limit: settings.memoryLimit,
      threads: String(settings.threads),
      preserve_insertion_order: 'false',
    });
  } catch (error) {
    throw classifyOpenError(error, path);
  }
}

/** DuckDB's IO errors while opening, in words that say what to do; anything else stays retryable. */
function classifyOpenError(error: unknown, path: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (/Could not set lock on file/i.test(message)) return new DuckDbFileLockedError(path, { cause: error });
  if (/not a valid DuckDB database file/i.test(message)) {
    return new PermanentError(
      `${path} is not a DuckDB database file: point destination.path at a DuckDB file or at a path where ` +
        'none exists yet (Conduit creates it)',
      FailureType.DuckDbFile,
      { cause: error },
    );
  }
  if (/incompatible|created with a newer version|storage version/i.test(message)) {
    return new PermanentError(
      `the DuckDB file ${path} cannot be opened by this DuckDB version: ${message}`,
      FailureType.DuckDbFile,
      { cause: error },
    );
  }
  return new Error(`opening the DuckDB file ${path}: ${message}`, { cause: error });
}

/** Queues work per key on one file: the check-then-load of a staged file must not run twice at once. */
async function exclusive<T>(file: OpenFile, key: string, work: () => Promise<T>): Promise<T> {
  const before = file.queues.get(key) ?? Promise.resolve();
  const result = before.then(work);
  const done = result.then(
    () => undefined,
    () => undefined,
  );
  file.queues.set(key, done);
  try {
    return await result;
  } finally {
    if (file.queues.get(key) === done) file.queues.delete(key);
  }
}
