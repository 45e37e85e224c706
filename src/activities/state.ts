import { field, valueText, type Row, type SnowflakeSession } from '../connectors/snowflake/connection';
import type { TableRef } from '../connectors/snowflake/dialect';
import { deleteStateSql, insertStateSql, readStateSql } from '../connectors/snowflake/incremental-sql';

/** A table's row in `_conduit_state`: the cursor its target holds rows up to, and the run that wrote it. */
export interface CursorState {
  table: string;
  source: string;
  mode: string;
  cursor: string | null;
  marker: string;
  updated: string;
}

export function stateFromRow(row: Row): CursorState {
  const text = (name: string) => valueText(field(row, name)) ?? '';
  return {
    table: text('table'),
    source: text('source'),
    mode: text('mode'),
    cursor: valueText(field(row, 'cursor')),
    marker: text('marker'),
    updated: text('updated'),
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

/** Replaces a table's state row; the caller decides the transaction it belongs to. */
export async function writeState(
  session: SnowflakeSession,
  state: TableRef,
  value: Omit<CursorState, 'updated'>,
): Promise<void> {
  await session.query(deleteStateSql(state), [value.table]);
  await session.query(insertStateSql(state), [value.table, value.source, value.mode, value.cursor, value.marker]);
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
