/** The state table in Snowflake: reading, evolving and writing a table's committed cursor row. */
import type { CursorState, StateRow } from '../destination';
import { field, valueText, type Row, type SnowflakeSession } from './connection';
import { tableSql, type TableRef } from './dialect';
import { deleteStateSql, evolveStateTableSql, insertStateSql, readStateSql, targetColumnsSql } from './incremental-sql';
import { withPrivilege } from './privileges';

export function stateFromRow(row: Row): CursorState {
  const text = (name: string) => valueText(field(row, name)) ?? '';
  const xmin = field(row, 'snapshotXmin');
  return {
    table: text('table'),
    source: text('source'),
    mode: text('mode'),
    cursor: valueText(field(row, 'cursor')),
    marker: text('marker'),
    updated: text('updated'),
    snapshotXmin: typeof xmin === 'string' ? xmin : null,
  };
}

export async function readState(
  session: SnowflakeSession,
  state: TableRef,
  table: string,
): Promise<CursorState | undefined> {
  const [row] = await session.query(readStateSql(state), [table]);
  return row ? stateFromRow(row) : undefined;
}

/**
 * Adds what newer workers record to a state table an older one made, only when it lacks it (DDL:
 * never inside a transaction; ALTER needs OWNERSHIP). A missing table stays missing.
 */
export async function evolveStateTable(session: SnowflakeSession, state: TableRef): Promise<void> {
  const columns = await session.query(targetColumnsSql(state.database), [state.schema, state.name]);
  if (columns.length === 0 || columns.some((c) => String(field(c, 'name')).toUpperCase() === 'SNAPSHOT_XMIN')) return;
  await withPrivilege(session, { privilege: 'OWNERSHIP', kind: 'TABLE', object: tableSql(state) }, () =>
    session.query(evolveStateTableSql(state)),
  );
}

/** Replaces a table's state row; the caller decides the transaction it belongs to. */
export async function writeState(session: SnowflakeSession, state: TableRef, value: StateRow): Promise<void> {
  await session.query(deleteStateSql(state), [value.table]);
  await session.query(insertStateSql(state), [
    value.table,
    value.source,
    value.mode,
    value.cursor,
    value.marker,
    value.snapshotXmin,
  ]);
}

/** Runs `work` in one transaction: all of it commits, or none of it. */
export async function inTransaction<T>(session: SnowflakeSession, work: () => Promise<T>): Promise<T> {
  await session.query('BEGIN');
  try {
    const result = await work();
    await session.query('COMMIT');
    return result;
  } catch (error) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
