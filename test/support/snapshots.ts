/** Observing a table's shared snapshot from a test: its holder's backend, and holders in history. */
import type { Client as TemporalClient } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import { quoteTable } from '../../src/connectors/postgres/sql';

/** The backend holding the exported snapshot of `table` (schema.table) once its transaction is open, other than `not`. */
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
  return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'holdSnapshot').length;
}
