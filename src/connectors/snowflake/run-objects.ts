/**
 * The destination objects a table's prepare creates, each through `withPrivilege` so a role missing
 * a grant fails at once naming it: the schema (only when missing), the run's stage and shadow table,
 * and the incremental modes' state table.
 */
import type { ColumnPlan } from '../../shared';
import type { SnowflakeSession } from './connection';
import {
  createSchemaSql,
  createShadowTableSql,
  createStageSql,
  quoteIdent,
  schemaExistsSql,
  type TableRef,
} from './dialect';
import { createStateTableSql } from './incremental-sql';
import { withPrivilege } from './privileges';

/** What the loading role needs on an existing schema (examples/snowflake-grants.sql). */
const SCHEMA_GRANTS = 'USAGE, CREATE TABLE and CREATE STAGE';

function schemaSql(database: string, schema: string): string {
  return `${quoteIdent(database)}.${quoteIdent(schema)}`;
}

/**
 * Creates the schema only when it is missing: CREATE SCHEMA IF NOT EXISTS needs CREATE SCHEMA on the
 * database even when the schema exists, which a loader granted only on its schema does not hold.
 */
export async function ensureSchema(session: SnowflakeSession, database: string, schema: string): Promise<void> {
  const found = await withPrivilege(
    session,
    { privilege: 'USAGE', kind: 'DATABASE', object: quoteIdent(database) },
    () => session.query(schemaExistsSql(database), [schema]),
  );
  if (found.length > 0) return;
  await withPrivilege(
    session,
    {
      privilege: 'CREATE SCHEMA',
      kind: 'DATABASE',
      object: quoteIdent(database),
      otherwise: `or create schema ${schemaSql(database, schema)} and grant the role ${SCHEMA_GRANTS} on it`,
    },
    () => session.query(createSchemaSql(database, schema)),
  );
}

export async function createStage(session: SnowflakeSession, stage: TableRef): Promise<void> {
  await withPrivilege(
    session,
    { privilege: 'CREATE STAGE', kind: 'SCHEMA', object: schemaSql(stage.database, stage.schema) },
    () => session.query(createStageSql(stage)),
  );
}

/** An empty, typed table marked with the run (its comment). */
export async function createShadowTable(
  session: SnowflakeSession,
  table: TableRef,
  columns: ColumnPlan[],
  marker: string,
): Promise<void> {
  await withPrivilege(
    session,
    { privilege: 'CREATE TABLE', kind: 'SCHEMA', object: schemaSql(table.database, table.schema) },
    () => session.query(createShadowTableSql(table, columns, marker)),
  );
}

export async function createStateTable(session: SnowflakeSession, state: TableRef): Promise<void> {
  const schema = schemaSql(state.database, state.schema);
  await withPrivilege(session, { privilege: 'CREATE TABLE', kind: 'SCHEMA', object: schema }, () =>
    session.query(createStateTableSql(state)),
  );
}
