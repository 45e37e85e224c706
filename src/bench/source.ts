/**
 * The benchmark's source data: a database of its own on the PostgreSQL server (so nothing of the
 * user's is touched), holding the demo's `demo.orders` table (the first version's shape: bigint
 * key, integer, bigint, numeric, float, varchar, text, boolean, date, timestamp and a NULL column)
 * at the size each case needs.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createDemoTables } from '../cli/demo-data';
import type { PostgresService } from '../dev/types';
import type { QualifiedName } from '../shared';
import { parentOf, processName } from './procfs';
import { known } from '../invariant';

export type PostgresEndpoint = Omit<PostgresService, 'stop'>;

export const BENCH_TABLE: QualifiedName = { schema: 'demo', name: 'orders' };

export interface BenchDatabase {
  endpoint: PostgresEndpoint;
  /** The server's version string. */
  version: string;
  /** The postmaster's pid when the server runs on this machine (for CPU accounting). */
  postmasterPid?: number;
  /** Whether the user may COPY to a server-side file (superuser or pg_write_server_files). */
  serverFiles: boolean;
  drop(): Promise<void>;
}

function connect(endpoint: PostgresEndpoint): Promise<Client> {
  const client = new Client({
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    password: endpoint.password,
    database: endpoint.database,
  });
  return client.connect().then(() => client);
}

/** Creates a fresh database for the run next to the given one; `drop()` removes it. */
export async function createBenchDatabase(server: PostgresEndpoint): Promise<BenchDatabase> {
  const name = `conduit_bench_${randomBytes(4).toString('hex')}`;
  const admin = await connect(server);
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    await admin.end();
    throw new Error(
      `the benchmark needs its own database on ${server.host}:${server.port} and could not create one ` +
        `(${(error as Error).message}); use a user with CREATEDB`,
    );
  }
  const endpoint: PostgresEndpoint = { ...server, database: name };
  const client = await connect(endpoint);
  const { rows } = await client.query<{ version: string; pid: number; files: boolean }>(
    'SELECT version() AS version, pg_backend_pid() AS pid, pg_has_role(current_user, ' +
      "'pg_write_server_files', 'MEMBER') OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS " +
      'files',
  );
  const backend = known(rows[0], 'a SELECT without FROM returns one row');
  // A backend's parent is the postmaster; visible only when the server runs on this machine.
  const parent = processName(backend.pid) === 'postgres' ? parentOf(backend.pid) : undefined;
  const postmasterPid = parent !== undefined && processName(parent) === 'postgres' ? parent : undefined;
  await client.end();
  return {
    endpoint,
    version: backend.version,
    postmasterPid,
    serverFiles: backend.files,
    async drop() {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/**
 * (Re)creates the table with `rows` rows (and the demo's second table, which the bench does not
 * load), then VACUUM ANALYZE and CHECKPOINT so that no case pays for hint bits or dirty pages the
 * generation left behind. Returns the table's size on disk and the time taken (not counted anywhere).
 */
export async function generateTable(
  endpoint: PostgresEndpoint,
  rows: number,
): Promise<{ tableBytes: number; seconds: number }> {
  const started = Date.now();
  const client = await connect(endpoint);
  try {
    await createDemoTables(client, rows);
    await client.query('VACUUM (ANALYZE) demo.orders');
    await client.query('CHECKPOINT').catch(() => undefined);
    const { rows: size } = await client.query<{ bytes: string }>(
      "SELECT pg_total_relation_size('demo.orders') AS bytes",
    );
    const { bytes } = known(size[0], 'a SELECT without FROM returns one row');
    return { tableBytes: Number(bytes), seconds: (Date.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}
