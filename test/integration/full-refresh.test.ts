/**
 * full_refresh end to end on the real Temporal dev server, PostgreSQL and the Snowflake emulator:
 * every test compares the destination's content with the source's, row by row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

const harness = new Harness(sharedServices(), { sourceSchema: 'fr_src' });
// A worker without the zstd program stages gzip; its own source schema, as start() recreates it.
const gzipHarness = new Harness(sharedServices(), {
  sourceSchema: 'fr_gzip_src',
  pipeline: { settings: { partitionRows: 1000, compression: 'gzip' } },
});

beforeAll(() => Promise.all([harness.start(), gzipHarness.start()]));
afterAll(() => Promise.all([harness.stop(), gzipHarness.stop()]));

const S = 'fr_src';

async function sql(text: string, values?: unknown[]): Promise<void> {
  await harness.pg.query(text, values);
}

async function createOrders(table: string, rows: number, firstId = 1): Promise<void> {
  await sql(`CREATE TABLE ${S}.${table} (
      id bigint PRIMARY KEY, customer_id integer NOT NULL, quantity bigint, amount numeric(12,2),
      weight double precision, status varchar(20), note text, is_gift boolean, order_date date,
      created_at timestamp, paid_at timestamptz, cancelled_at timestamp)`);
  await sql(
    `INSERT INTO ${S}.${table}
     SELECT g, g % 977, CASE WHEN g % 13 = 0 THEN NULL ELSE g * 3 END, round((g % 100000) / 7.0, 2), g / 3.0,
            (ARRAY['new','paid','shipped'])[1 + g % 3],
            CASE WHEN g % 17 = 0 THEN NULL WHEN g % 19 = 0 THEN '' ELSE 'note, "quoted"' || chr(10) || g END,
            CASE WHEN g % 23 = 0 THEN NULL ELSE g % 2 = 0 END,
            date '2020-01-01' + (g % 1500)::int,
            timestamp '2020-01-01' + g * interval '1 second' + (g % 1000) * interval '1 microsecond',
            timestamptz '2021-06-01 12:00:00+02' + g * interval '1 minute',
            NULL
     FROM generate_series($1::bigint, $2::bigint) AS g`,
    [firstId, firstId + rows - 1],
  );
}

/** The staged files the target's load history names (it moves with the data on SWAP). */
async function loadedFiles(on: Harness, table: string): Promise<string[]> {
  const rows = await on.snowflake.query<{ file: string }>(
    `SELECT FILE_NAME AS "file" FROM "${on.config.destination.database}".INFORMATION_SCHEMA.LOAD_HISTORY ` +
      `WHERE SCHEMA_NAME = ? AND TABLE_NAME = ? ORDER BY 1`,
    [on.targetSchema, table],
  );
  return rows.map((row) => row.file.split('/').pop() ?? row.file);
}

function tableResult(outcome: Awaited<ReturnType<Harness['runOk']>>, source: string) {
  const found = outcome.result.tables.find((t) => t.source === `${S}.${source}`);
  if (!found) throw new Error(`no result for ${source}: ${JSON.stringify(outcome.result.tables)}`);
  return found;
}

describe('full_refresh', () => {
  it('copies one table exactly, with typed columns, and leaves no stage or shadow behind', async () => {
    await createOrders('one_table', 2500);
    const outcome = await harness.runOk([`${S}.one_table`]);
    expect(tableResult(outcome, 'one_table')).toMatchObject({ status: 'succeeded', rows: 2500, partitions: 3 });
    expect(await harness.expectSameContent('one_table')).toBe(2500);
    // settings.compression defaults to auto: zstd where the worker has the program (.ci/run installs it).
    expect(await loadedFiles(harness, 'one_table')).toEqual([
      'part-000000.csv.zst',
      'part-000001.csv.zst',
      'part-000002.csv.zst',
    ]);

    const types = await harness.snowflake.query<{ name: string; type: string }>(
      `SELECT COLUMN_NAME AS "name", DATA_TYPE AS "type"
       FROM "${harness.config.destination.database}".INFORMATION_SCHEMA.COLUMNS
       WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [harness.targetSchema, 'one_table'],
    );
    // Real types, not VARCHAR landing: exactly what each source column maps to.
    expect(types).toEqual([
      { name: 'id', type: 'NUMBER' },
      { name: 'customer_id', type: 'NUMBER' },
      { name: 'quantity', type: 'NUMBER' },
      { name: 'amount', type: 'NUMBER' },
      { name: 'weight', type: 'FLOAT' },
      { name: 'status', type: 'TEXT' },
      { name: 'note', type: 'TEXT' },
      { name: 'is_gift', type: 'BOOLEAN' },
      { name: 'order_date', type: 'DATE' },
      { name: 'created_at', type: 'TIMESTAMP_NTZ' },
      { name: 'paid_at', type: 'TIMESTAMP_TZ' },
      { name: 'cancelled_at', type: 'TIMESTAMP_NTZ' },
    ]);

    const objects = await harness.destinationObjects();
    expect(objects.stages).toEqual([]);
    expect(objects.tables.filter((t) => t.includes('__conduit_'))).toEqual([]);
  });

  it('stages gzip when settings.compression says so, with the same exact content', async () => {
    await gzipHarness.pg.query(`CREATE TABLE fr_gzip_src.orders (LIKE ${S}.one_table)`);
    await gzipHarness.pg.query(`INSERT INTO fr_gzip_src.orders SELECT * FROM ${S}.one_table`);
    const outcome = await gzipHarness.runOk(['fr_gzip_src.orders']);
    expect(outcome.result.tables).toEqual([
      expect.objectContaining({ status: 'succeeded', rows: 2500, partitions: 3 }),
    ]);
    expect(await gzipHarness.expectSameContent('orders')).toBe(2500);
    expect(await loadedFiles(gzipHarness, 'orders')).toEqual([
      'part-000000.csv.gz',
      'part-000001.csv.gz',
      'part-000002.csv.gz',
    ]);
  });

  it('keeps the empty string and NULL apart', async () => {
    await sql(`CREATE TABLE ${S}.blanks (id int PRIMARY KEY, t text)`);
    await sql(`INSERT INTO ${S}.blanks VALUES (1, ''), (2, NULL), (3, ' '), (4, 'NULL'), (5, '\\N'), (6, '"')`);
    await harness.runOk([`${S}.blanks`]);
    await harness.expectSameContent('blanks');
    const rows = await harness.snowflake.query<{ id: string; t: string | null }>(
      `SELECT "id", "t" FROM "${harness.targetSchema}"."blanks" ORDER BY "id"`,
    );
    expect(rows.map((r) => r.t)).toEqual(['', null, ' ', 'NULL', '\\N', '"']);
  });

  it('runs several tables in one run', async () => {
    await createOrders('multi_a', 1500);
    await createOrders('multi_b', 700, 100);
    await sql(`CREATE TABLE ${S}.multi_c (code text PRIMARY KEY, label varchar(10))`);
    await sql(`INSERT INTO ${S}.multi_c VALUES ('a', 'Alpha'), ('b', NULL)`);
    const outcome = await harness.runOk([`${S}.multi_a`, `${S}.multi_b`, `${S}.multi_c`]);
    expect(outcome.result.tables.map((t) => [t.source, t.status])).toEqual([
      [`${S}.multi_a`, 'succeeded'],
      [`${S}.multi_b`, 'succeeded'],
      [`${S}.multi_c`, 'succeeded'],
    ]);
    for (const table of ['multi_a', 'multi_b', 'multi_c']) await harness.expectSameContent(table);
  });

  it('splits 12,000 rows with sparse, skewed keys into balanced key-range partitions', async () => {
    await sql(`CREATE TABLE ${S}.skewed (id bigint PRIMARY KEY, v text)`);
    // A dense run, a huge gap, then a sparse tail: ranges by value would be wildly unequal.
    await sql(`INSERT INTO ${S}.skewed SELECT g, 'dense ' || g FROM generate_series(1, 10000) g`);
    await sql(
      `INSERT INTO ${S}.skewed SELECT 1000000000000 + g * 1000003, 'sparse ' || g FROM generate_series(1, 2000) g`,
    );
    const outcome = await harness.runOk([`${S}.skewed`]);
    expect(tableResult(outcome, 'skewed')).toMatchObject({ rows: 12000, partitions: 12 });
    await harness.expectSameContent('skewed');
  });

  it('copies an empty table as an empty typed table', async () => {
    await sql(`CREATE TABLE ${S}.empty_table (id int PRIMARY KEY, name text, at timestamptz)`);
    const outcome = await harness.runOk([`${S}.empty_table`]);
    expect(tableResult(outcome, 'empty_table')).toMatchObject({ status: 'succeeded', rows: 0 });
    expect(await harness.expectSameContent('empty_table')).toBe(0);
  });

  it('splits a table without a primary key by page ranges', async () => {
    await sql(`CREATE TABLE ${S}."NoKey" ("Name" text, "Qty" integer)`);
    await sql(`INSERT INTO ${S}."NoKey" SELECT 'item ' || (g % 50), g % 7 FROM generate_series(1, 5000) g`);
    await sql(`ANALYZE ${S}."NoKey"`);
    const outcome = await harness.runOk([`${S}.NoKey`]);
    const result = tableResult(outcome, 'NoKey');
    expect(result.rows).toBe(5000);
    expect(result.partitions).toBeGreaterThanOrEqual(4);
    expect(await harness.expectSameContent('NoKey')).toBe(5000);
  });

  it('gives identical content when the same pipeline runs again', async () => {
    await createOrders('rerun', 1200);
    await harness.runOk([`${S}.rerun`]);
    await harness.expectSameContent('rerun');
    await harness.runOk([`${S}.rerun`]);
    expect(await harness.expectSameContent('rerun')).toBe(1200);
  });

  it('replaces the content exactly after the source changed (inserts, updates, deletes)', async () => {
    await createOrders('changing', 1500);
    await harness.runOk([`${S}.changing`]);
    await harness.expectSameContent('changing');

    await sql(`DELETE FROM ${S}.changing WHERE id % 5 = 0`);
    await sql(`UPDATE ${S}.changing SET note = 'updated', amount = amount + 1 WHERE id % 7 = 0`);
    await sql(
      `INSERT INTO ${S}.changing (id, customer_id, note) SELECT g, 1, 'new ' || g FROM generate_series(5000, 5300) g`,
    );
    await harness.runOk([`${S}.changing`]);
    expect(await harness.expectSameContent('changing')).toBe(1500 - 300 + 301);
  });

  it('fails a table with a type it cannot carry, naming the column, and leaves the target as it was', async () => {
    await sql(`CREATE TABLE ${S}.shapes (id int PRIMARY KEY, label text)`);
    await sql(`INSERT INTO ${S}.shapes VALUES (1, 'before')`);
    await harness.runOk([`${S}.shapes`]);
    // pg_node_tree (PostgreSQL's internal planner trees) has no mapping.
    await sql(`ALTER TABLE ${S}.shapes ADD COLUMN spot pg_node_tree`);
    const outcome = await harness.run([`${S}.shapes`]);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain('"spot" (pg_node_tree)');
    expect(outcome.message).toContain(`"${S}"."shapes"`);
    const rows = await harness.snowflake.query<{ label: string }>(
      `SELECT "label" FROM "${harness.targetSchema}"."shapes"`,
    );
    expect(rows).toEqual([{ label: 'before' }]);
  });

  it('refuses a table that is not part of the pipeline, naming it', async () => {
    const outcome = await harness.run([`${S}.does_not_exist`]);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain(`table "${S}.does_not_exist" is not part of pipeline`);
  });
});
