/** Observing a table's shared snapshot from a test: its holder's backend, and holders in history. */
import type { Client as TemporalClient } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import { expect } from 'vitest';
import type { RunOutcome } from '../../src/client';
import { quoteTable } from '../../src/connectors/postgres/sql';
import type { Harness } from './harness';

/**
 * The backend holding the exported snapshot of `table` (schema.table) once its transaction is open, other than `not`.
 */
export async function snapshotHolderPid(pg: PgClient, table: string, not = 0): Promise<number | undefined> {
  const { rows } = await pg.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction' AND pid <> $2`,
    [`conduit snapshot ${table}`, not],
  );
  return rows[0]?.pid;
}

/** Copies the table's current content to `<table>_expected`: what a load under a snapshot taken now must hold. */
export async function freezeTable(pg: PgClient, schema: string, table: string): Promise<void> {
  const expected = quoteTable(schema, `${table}_expected`);
  await pg.query(`DROP TABLE IF EXISTS ${expected}`);
  await pg.query(`CREATE TABLE ${expected} AS SELECT * FROM ${quoteTable(schema, table)}`);
}

/** How many snapshot holders a table workflow started: one per snapshot established. */
export async function snapshotHolders(client: TemporalClient, tableWorkflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(tableWorkflowId).fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'holdSnapshot',
  ).length;
}

/**
 * The second half of a lost-snapshot test, once the table's second snapshot is held: freezes the
 * table (what that snapshot sees), then updates every fifth row and inserts 500 rows from
 * `firstNewId`, which the run must not load. Checks the run loaded exactly the frozen content,
 * `rows` rows in `partitions` partitions, through two snapshot holders.
 */
export async function changeAfterSecondSnapshotAndCheck(
  harness: Harness,
  run: { outcome: Promise<RunOutcome>; tableWorkflowId: string },
  table: { schema: string; name: string; firstNewId: number; rows: number; partitions: number },
): Promise<void> {
  const relation = quoteTable(table.schema, table.name);
  await freezeTable(harness.pg, table.schema, table.name);
  await harness.pg.query(`UPDATE ${relation} SET v = 'after second' WHERE id % 5 = 0`);
  await harness.pg.query(
    `INSERT INTO ${relation} SELECT g, 'new' FROM generate_series(${table.firstNewId}, ${table.firstNewId + 499}) g`,
  );

  const result = await run.outcome;
  if (!result.ok) throw new Error(result.message);
  expect(result.result.tables[0]).toMatchObject({
    status: 'succeeded',
    rows: table.rows,
    partitions: table.partitions,
  });
  expect(await harness.expectSameContent(`${table.name}_expected`, table.name)).toBe(table.rows);
  expect(await snapshotHolders(harness.client, run.tableWorkflowId)).toBe(2);
}
