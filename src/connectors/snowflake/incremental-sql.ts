/**
 * Snowflake SQL of the incremental modes: the `_conduit_state` table that holds each table's
 * committed cursor (written in the same transaction as the rows it covers), the statements that
 * apply a staged batch (append, merge), and the ALTERs of schema evolution.
 */
import type { ColumnPlan } from '../../shared';
import { quoteIdent, snowflakeType, tableSql, type TableRef } from './dialect';

/**
 * The state table (`STATE_TABLE`) holds one row per target table of the schema: its cursor high-water, the run that
 * committed it, and the oldest source transaction still in progress when that high-water was read (SNAPSHOT_XMIN).
 */
export function createStateTableSql(state: TableRef): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${tableSql(state)} (TABLE_NAME VARCHAR NOT NULL, SOURCE_TABLE VARCHAR, MODE VARCHAR, ` +
    `CURSOR_VALUE VARCHAR, RUN_MARKER VARCHAR, UPDATED_AT TIMESTAMP_NTZ, SNAPSHOT_XMIN VARCHAR) ` +
    `COMMENT = 'conduit incremental cursors'`
  );
}

/**
 * State tables made before SNAPSHOT_XMIN existed gain it (NULL in their rows: no late-commit
 * protection until the next commit records one). Idempotent; a missing table stays missing.
 */
export function evolveStateTableSql(state: TableRef): string {
  return `ALTER TABLE IF EXISTS ${tableSql(state)} ADD COLUMN IF NOT EXISTS SNAPSHOT_XMIN VARCHAR`;
}

const STATE_COLUMNS =
  'TABLE_NAME AS "table", SOURCE_TABLE AS "source", MODE AS "mode", CURSOR_VALUE AS "cursor", ' +
  'RUN_MARKER AS "marker", UPDATED_AT AS "updated", SNAPSHOT_XMIN AS "snapshotXmin"';

/** Binds: target table name. */
export function readStateSql(state: TableRef): string {
  return `SELECT ${STATE_COLUMNS} FROM ${tableSql(state)} WHERE TABLE_NAME = ?`;
}

export function listStateSql(state: TableRef): string {
  return `SELECT ${STATE_COLUMNS} FROM ${tableSql(state)} ORDER BY TABLE_NAME`;
}

/** Binds: target table name. Run with insertStateSql in one transaction. */
export function deleteStateSql(state: TableRef): string {
  return `DELETE FROM ${tableSql(state)} WHERE TABLE_NAME = ?`;
}

/** Binds: target table name, source table, mode, cursor (NULL: none yet), run marker, snapshot xmin (or NULL). */
export function insertStateSql(state: TableRef): string {
  return (
    `INSERT INTO ${tableSql(state)} ` +
    `(TABLE_NAME, SOURCE_TABLE, MODE, CURSOR_VALUE, RUN_MARKER, UPDATED_AT, SNAPSHOT_XMIN) ` +
    `VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP(), ?)`
  );
}

/** A target table's columns as the warehouse reports them; binds: schema, table name. */
export function targetColumnsSql(database: string): string {
  return (
    `SELECT COLUMN_NAME AS "name", DATA_TYPE AS "type", CHARACTER_MAXIMUM_LENGTH AS "length", ` +
    `NUMERIC_PRECISION AS "precision", ` +
    `NUMERIC_SCALE AS "scale", IS_NULLABLE AS "nullable" FROM ${quoteIdent(database)}.INFORMATION_SCHEMA.COLUMNS ` +
    `WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`
  );
}

/** New columns are nullable: the rows already loaded have no value for them. */
export function addColumnSql(table: TableRef, column: ColumnPlan): string {
  return `ALTER TABLE ${tableSql(table)} ADD COLUMN ${quoteIdent(column.target)} ${snowflakeType(column.type)}`;
}

/** Snowflake widens VARCHAR length and NUMBER precision in place (not NUMBER scale). */
export function widenColumnSql(table: TableRef, column: ColumnPlan): string {
  return (
    `ALTER TABLE ${tableSql(table)} ALTER COLUMN ${quoteIdent(column.target)} SET DATA TYPE ` +
    `${snowflakeType(column.type)}`
  );
}

export function dropNotNullSql(table: TableRef, column: string): string {
  return `ALTER TABLE ${tableSql(table)} ALTER COLUMN ${quoteIdent(column)} DROP NOT NULL`;
}

/**
 * Appends the staged rows the target does not hold yet. A row is identified by its key and cursor
 * (every column without a key), so rows re-read by the look-back are not appended twice while a new
 * version of a row (same key, later cursor) is. The identity includes the cursor, so only target
 * rows from the batch's lowest cursor on (or without one) can match: Snowflake prunes the older
 * micro-partitions of an append-only table instead of scanning the whole target for every batch.
 */
export function appendSql(
  target: TableRef,
  staging: TableRef,
  columns: ColumnPlan[],
  identity: string[],
  cursor: string,
): string {
  const list = columns.map((c) => quoteIdent(c.target)).join(', ');
  const values = columns.map((c) => `s.${quoteIdent(c.target)}`).join(', ');
  const same = identity.map((c) => `t.${quoteIdent(c)} IS NOT DISTINCT FROM s.${quoteIdent(c)}`).join(' AND ');
  const c = quoteIdent(cursor);
  const recent = `(t.${c} >= (SELECT MIN(${c}) FROM ${tableSql(staging)}) OR t.${c} IS NULL)`;
  return (
    `INSERT INTO ${tableSql(target)} (${list}) SELECT ${values} FROM ${tableSql(staging)} AS s WHERE NOT ` +
    `EXISTS (SELECT 1 FROM ${tableSql(target)} AS t WHERE ${recent} AND ${same})`
  );
}

export interface MergeShape {
  columns: ColumnPlan[];
  /** Target names of the key columns. */
  key: string[];
  /** Target name of the cursor column: the latest version of a key in the batch wins. */
  cursor: string;
  /** Rows whose soft-delete column says deleted are deleted from the target (and never inserted). */
  deleteWhen?: { column: string; boolean: boolean };
  /** Target columns the source no longer has: NULL in every row written from now on. */
  dropped: string[];
}

/** The batch with one row per key: the latest cursor wins. */
function latestPerKey(staging: TableRef, key: string[], cursor: string): string {
  return (
    `(SELECT * FROM ${tableSql(staging)} QUALIFY ROW_NUMBER() OVER (PARTITION BY ` +
    `${key.map(quoteIdent).join(', ')} ORDER BY ${quoteIdent(cursor)} DESC) = 1)`
  );
}

function deletedSql(deleteWhen: NonNullable<MergeShape['deleteWhen']>): string {
  const column = `s.${quoteIdent(deleteWhen.column)}`;
  return deleteWhen.boolean ? `COALESCE(${column}, FALSE)` : `${column} IS NOT NULL`;
}

/** Upserts the batch by key, one row per key (latest cursor wins), so a repeated batch changes nothing. */
export function mergeSql(target: TableRef, staging: TableRef, shape: MergeShape): string {
  const q = quoteIdent;
  const on = shape.key.map((k) => `t.${q(k)} = s.${q(k)}`).join(' AND ');
  const sets = [
    ...shape.columns.map((c) => `t.${q(c.target)} = s.${q(c.target)}`),
    ...shape.dropped.map((d) => `t.${q(d)} = NULL`),
  ].join(', ');
  const list = shape.columns.map((c) => q(c.target)).join(', ');
  const values = shape.columns.map((c) => `s.${q(c.target)}`).join(', ');
  const deleted = shape.deleteWhen ? deletedSql(shape.deleteWhen) : undefined;
  return [
    `MERGE INTO ${tableSql(target)} AS t USING ${latestPerKey(staging, shape.key, shape.cursor)} AS s ON ${on}`,
    ...(deleted ? [`WHEN MATCHED AND ${deleted} THEN DELETE`] : []),
    `WHEN MATCHED THEN UPDATE SET ${sets}`,
    `WHEN NOT MATCHED${deleted ? ` AND NOT (${deleted})` : ''} THEN INSERT (${list}) VALUES (${values})`,
  ].join(' ');
}

/**
 * A full load of a merge table becomes what merging it into an empty table gives: one row per key
 * (latest cursor) and no soft-deleted rows. Rewriting the staging table from itself is idempotent.
 */
export function settleFullLoadSql(staging: TableRef, shape: Omit<MergeShape, 'columns' | 'dropped'>): string {
  const where = shape.deleteWhen ? ` WHERE NOT (${deletedSql(shape.deleteWhen)})` : '';
  return (
    `INSERT OVERWRITE INTO ${tableSql(staging)} SELECT * FROM ` +
    `${latestPerKey(staging, shape.key, shape.cursor)} AS s${where}`
  );
}
