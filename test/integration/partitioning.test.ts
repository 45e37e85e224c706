/** Partition planning against the real PostgreSQL: ranges cover every row once and are balanced. */
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planPartitions, rangePredicate } from '../../src/connectors/postgres/partitioning';
import { partitionRanges, type Partitioning } from '../../src/shared';
import { sharedServices } from '../support/services';
import { known } from '../../src/invariant';

const { postgres } = sharedServices();
const pg = new Client({
  host: postgres.host,
  port: postgres.port,
  user: postgres.user,
  password: postgres.password,
  database: postgres.database,
});

beforeAll(async () => {
  await pg.connect();
  await pg.query('DROP SCHEMA IF EXISTS part_src CASCADE; CREATE SCHEMA part_src');
});
afterAll(() => pg.end());

/** Rows in each partition, counted with the same predicates the extract uses. */
async function partitionSizes(table: string, partitioning: Partitioning): Promise<number[]> {
  const sizes: number[] = [];
  for (const range of partitionRanges(partitioning)) {
    const { rows } = await pg.query<{ n: string }>(
      `SELECT count(*) AS n FROM part_src.${table} WHERE ${rangePredicate(range)}`,
    );
    sizes.push(Number(known(rows[0], 'an aggregate SELECT returns one row').n));
  }
  return sizes;
}

describe('partition planning', () => {
  it('balances key ranges by row count even when keys are sparse and skewed', async () => {
    await pg.query('CREATE TABLE part_src.skewed (id bigint PRIMARY KEY)');
    await pg.query('INSERT INTO part_src.skewed SELECT g FROM generate_series(1, 9000) g');
    await pg.query('INSERT INTO part_src.skewed SELECT 5000000000 + g * g FROM generate_series(1, 3000) g');
    await pg.query('INSERT INTO part_src.skewed SELECT -g * 1000 FROM generate_series(1, 1000) g');
    const plan = await planPartitions(pg, { schema: 'part_src', name: 'skewed' }, 'id', 1000);
    expect(plan.rows).toBe(13000);
    const sizes = await partitionSizes('skewed', plan.partitioning);
    expect(sizes).toHaveLength(13);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(13000);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('balances key ranges from a sample on a table larger than the sample, covering every row once', async () => {
    await pg.query('CREATE TABLE part_src.large (id bigint PRIMARY KEY, pad text)');
    await pg.query("INSERT INTO part_src.large SELECT g, 'row ' || g FROM generate_series(1, 600000) g");
    await pg.query(
      "INSERT INTO part_src.large SELECT 5000000000 + g::bigint * g, 'sparse' FROM generate_series(1, 200000) g",
    );
    const plan = await planPartitions(pg, { schema: 'part_src', name: 'large' }, 'id', 100000);
    expect(plan.rows).toBe(800000);
    const sizes = await partitionSizes('large', plan.partitioning);
    expect(sizes).toHaveLength(8);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(800000);
    expect(Math.max(...sizes) / Math.min(...sizes)).toBeLessThan(1.15);
  });

  it('splits a dense key by arithmetic into exact ranges', async () => {
    await pg.query('CREATE TABLE part_src.dense (id int PRIMARY KEY)');
    await pg.query('INSERT INTO part_src.dense SELECT g FROM generate_series(-50, 9949) g');
    const plan = await planPartitions(pg, { schema: 'part_src', name: 'dense' }, 'id', 3000);
    expect(plan.partitioning).toEqual({ strategy: 'key', column: 'id', bounds: ['2450', '4950', '7450'] });
    expect(await partitionSizes('dense', plan.partitioning)).toEqual([2500, 2500, 2500, 2500]);
  });

  it('splits a table without a key by page ranges that cover every row once', async () => {
    await pg.query('CREATE TABLE part_src.heap (v text)');
    await pg.query("INSERT INTO part_src.heap SELECT repeat('x', 50) || g FROM generate_series(1, 20000) g");
    const plan = await planPartitions(pg, { schema: 'part_src', name: 'heap' }, undefined, 2500);
    expect(plan.partitioning.strategy).toBe('ctid');
    const sizes = await partitionSizes('heap', plan.partitioning);
    expect(sizes).toHaveLength(8);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(20000);
    // Rows are of equal width, so equal page ranges hold nearly equal row counts.
    expect(Math.max(...sizes) / Math.min(...sizes)).toBeLessThan(1.1);
  });

  it('plans one unbounded partition for an empty table', async () => {
    await pg.query('CREATE TABLE part_src.nothing (id int PRIMARY KEY)');
    const plan = await planPartitions(pg, { schema: 'part_src', name: 'nothing' }, 'id', 1000);
    expect(plan).toEqual({ rows: 0, partitioning: { strategy: 'key', column: 'id', bounds: [] } });
  });
});
