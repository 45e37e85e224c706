/**
 * The extract step on the real PostgreSQL server, below the activity: what a partition file holds,
 * and what happens when the compressor dies in the middle of a COPY (the OOM killer, a full disk).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractStatement, extractToFile } from '../../src/connectors/postgres/extract';
import { partitionRanges, type ColumnPlan } from '../../src/shared';
import { scratchDir } from '../support/scratch';
import { sharedServices } from '../support/services';
import { known } from '../../src/invariant';
import { snowflakeCapabilities } from '../../src/connectors/snowflake/capabilities';

const SNOWFLAKE_LIMITS = snowflakeCapabilities.limits;

const S = 'extract_src';
const { postgres } = sharedServices();
const connect = async (): Promise<Client> => {
  const client = new Client({
    host: postgres.host,
    port: postgres.port,
    user: postgres.user,
    password: postgres.password,
    database: postgres.database,
  });
  await client.connect();
  return client;
};
const columns: ColumnPlan[] = [
  {
    source: 'id',
    target: 'id',
    sourceType: 'bigint',
    sourceTypname: 'int8',
    type: { kind: 'integer', bytes: 8 },
    nullable: false,
  },
  { source: 'note', target: 'note', sourceType: 'text', sourceTypname: 'text', type: { kind: 'text' }, nullable: true },
];
const table = { schema: S, name: 'rows' };
const [wholeTable] = partitionRanges({ strategy: 'key', column: 'id', bounds: [] });
const dir = scratchDir('extract');
let admin: Client;

beforeAll(async () => {
  admin = await connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${S} CASCADE; CREATE SCHEMA ${S}`);
  await admin.query(`CREATE TABLE ${S}.rows (id bigint PRIMARY KEY, note text)`);
  await admin.query(
    `INSERT INTO ${S}.rows SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE md5(g::text) || ', "q"' END FROM ` +
      `generate_series(1, 300000) g`,
  );
});
afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${S} CASCADE`);
  await admin.end();
});

describe('extractToFile', () => {
  it('writes the partition as zstd-compressed CSV, row for row what COPY gives', async () => {
    const client = await connect();
    const file = join(dir, 'whole.csv.zst');
    try {
      const result = await extractToFile(
        client,
        extractStatement(table, columns, wholeTable, SNOWFLAKE_LIMITS),
        file,
        'zstd',
        () => undefined,
      );
      expect(result.rows).toBe(300_000);
      expect(result.bytes).toBe(readFileSync(file).length);
    } finally {
      await client.end();
    }
    const csv = execFileSync('zstd', ['-d', '-q', '-c', file], { maxBuffer: 256 * 2 ** 20 }).toString('utf8');
    const lines = csv.split('\n');
    expect(lines).toHaveLength(300_001);
    expect(lines[0]).toBe('1,"c4ca4238a0b923820dcc509a6f75849b, ""q"""');
    expect(lines[4]).toBe('5,');
  });

  it('fails within seconds when the compressor dies mid-COPY, and closes the connection it cannot reuse', async () => {
    const client = await connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const { pid } = known(rows[0], 'a SELECT without FROM returns one row');
    const file = join(dir, 'killed.csv.zst');
    let killed = false;
    const started = Date.now();
    const attempt = extractToFile(
      client,
      extractStatement(table, columns, wholeTable, SNOWFLAKE_LIMITS),
      file,
      'zstd',
      () => {
        if (killed) return;
        killed = true;
        // The zstd this test process started for the COPY.
        execFileSync('pkill', ['-KILL', '-P', String(process.pid), '-x', 'zstd']);
      },
    );
    await expect(attempt).rejects.toThrow(/zstd failed \(SIGKILL\)/);
    expect(killed).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    // The backend that ran the COPY is gone: nothing holds the snapshot or a half-read COPY.
    await expect
      .poll(
        async () => {
          const { rows } = await admin.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1',
            [pid],
          );
          return known(rows[0], 'an aggregate SELECT returns one row').n;
        },
        { timeout: 5_000 },
      )
      .toBe(0);
    await client.end().catch(() => undefined);
    expect(existsSync(file)).toBe(true); // the activity removes its file in its own finally
  });
});
