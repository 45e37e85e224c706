/**
 * GoogleSQL generated in one place (https://cloud.google.com/bigquery/docs/reference/standard-sql).
 * Every identifier is backtick-quoted part by part, so names keep their case and may hold any character
 * BigQuery allows; values are named query parameters, never spliced in.
 */
import type { BatchShape, StateRow } from '../destination';
import type { ColumnKind, ColumnPlan } from '../../shared';
import { bigQueryType } from './capabilities';

export interface TableRef {
  project: string;
  dataset: string;
  name: string;
}

/** A quoted identifier: inside backticks a backslash and a backtick are escaped with a backslash. */
export function quoteIdent(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

export function tableSql(ref: TableRef): string {
  return `${quoteIdent(ref.project)}.${quoteIdent(ref.dataset)}.${quoteIdent(ref.name)}`;
}

/**
 * A STRING literal (or NULL) for multi-statement scripts, whose values are written in: the emulator binds
 * no parameters in scripts (docs/bigquery-emulator.md). Backslash and quote are escaped, and control
 * characters written as \xhh, GoogleSQL's escapes, so any text reads back exactly.
 */
export function stringLiteral(value: string | null): string {
  if (value === null) return 'NULL';
  let escaped = '';
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (char === '\\' || char === "'") escaped += `\\${char}`;
    else if (code < 0x20 || code === 0x7f) escaped += `\\x${code.toString(16).padStart(2, '0')}`;
    else escaped += char;
  }
  return `'${escaped}'`;
}

/** Name of staged CSV field `index` in a load's scratch table. */
export function fieldName(index: number): string {
  return `f${index + 1}`;
}

/**
 * How staged field `index` (STRING, as PostgreSQL's CSV wrote it: connectors/postgres/types.ts) becomes
 * the column's value. Exact casts only: a value that does not convert fails the load, never NULL.
 */
export function loadExpression(kind: ColumnKind, index: number): string {
  const f = `s.${fieldName(index)}`;
  switch (kind.kind) {
    case 'text':
    case 'uuid':
    case 'interval':
      return f;
    case 'boolean':
      // PostgreSQL writes t/f; CAST to BOOL reads only true/false, and anything else still fails.
      return `CAST(CASE ${f} WHEN 't' THEN 'true' WHEN 'f' THEN 'false' ELSE ${f} END AS BOOL)`;
    case 'binary':
      return `FROM_HEX(${f})`;
    case 'json':
    case 'array':
      // wide_number_mode 'exact' (the default) fails a number JSON cannot hold exactly instead of rounding it.
      return `PARSE_JSON(${f})`;
    default:
      // INT64, FLOAT64 (inf, -inf, NaN), DATE, TIME, DATETIME, TIMESTAMP (ISO with offset), and decimals
      // to their column's parameterized type: an unparameterized BIGNUMERIC would be wider than the column.
      return `CAST(${f} AS ${bigQueryType(kind)})`;
  }
}

/** Moves one scratch table's rows into the target, typed. */
export function insertFromScratchSql(target: TableRef, scratch: TableRef, columns: ColumnPlan[]): string {
  const list = columns.map((c) => quoteIdent(c.target)).join(', ');
  const values = columns.map((c, i) => loadExpression(c.type, i)).join(', ');
  return `INSERT INTO ${tableSql(target)} (${list}) SELECT ${values} FROM ${tableSql(scratch)} AS s`;
}

/**
 * Which staged files each table has loaded, written in the transaction of the load itself: a repeated
 * load of a file (an activity retried after a crash) finds its record and skips it.
 */
export const LOADS_TABLE = '_conduit_loads';

export function createLoadsTableSql(loads: TableRef): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${tableSql(loads)} (TABLE_NAME STRING NOT NULL, FILE_NAME STRING NOT NULL, ` +
    `ROWS_LOADED INT64 NOT NULL, LOADED_AT TIMESTAMP NOT NULL)`
  );
}

/** Params: table, file. */
export function loadedSql(loads: TableRef): string {
  return `SELECT ROWS_LOADED AS rows_loaded FROM ${tableSql(loads)} WHERE TABLE_NAME = @table AND FILE_NAME = @file`;
}

/** A file's rows and its record in one transaction. */
export function loadFileScript(
  target: TableRef,
  scratch: TableRef,
  loads: TableRef,
  columns: ColumnPlan[],
  file: string,
): string {
  return [
    'BEGIN TRANSACTION',
    insertFromScratchSql(target, scratch, columns),
    `INSERT INTO ${tableSql(loads)} (TABLE_NAME, FILE_NAME, ROWS_LOADED, LOADED_AT) ` +
      `SELECT ${stringLiteral(target.name)}, ${stringLiteral(file)}, COUNT(*), CURRENT_TIMESTAMP() ` +
      `FROM ${tableSql(scratch)}`,
    'COMMIT TRANSACTION',
  ].join(';\n');
}

/** Params: table. */
export function forgetLoadsSql(loads: TableRef): string {
  return `DELETE FROM ${tableSql(loads)} WHERE TABLE_NAME = @table`;
}

/** The shadow's records become the target's (after a copy put the shadow's rows there). */
export function moveLoadsScript(loads: TableRef, target: string, shadow: string): string {
  return [
    'BEGIN TRANSACTION',
    `DELETE FROM ${tableSql(loads)} WHERE TABLE_NAME = ${stringLiteral(target)}`,
    `UPDATE ${tableSql(loads)} SET TABLE_NAME = ${stringLiteral(target)} WHERE TABLE_NAME = ${stringLiteral(shadow)}`,
    'COMMIT TRANSACTION',
  ].join(';\n');
}

/** The columns of Snowflake's and DuckDB's state tables, so all read alike. */
export function createStateTableSql(state: TableRef): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${tableSql(state)} (TABLE_NAME STRING NOT NULL, SOURCE_TABLE STRING, ` +
    `MODE STRING, CURSOR_VALUE STRING, RUN_MARKER STRING, UPDATED_AT TIMESTAMP, SNAPSHOT_XMIN STRING)`
  );
}

export function evolveStateTableSql(state: TableRef): string {
  return `ALTER TABLE ${tableSql(state)} ADD COLUMN IF NOT EXISTS SNAPSHOT_XMIN STRING`;
}

const STATE_COLUMNS =
  'TABLE_NAME AS `table`, SOURCE_TABLE AS `source`, MODE AS `mode`, CURSOR_VALUE AS `cursor`, ' +
  "RUN_MARKER AS `marker`, FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6SZ', UPDATED_AT) AS `updated`, " +
  'SNAPSHOT_XMIN AS `snapshotXmin`';

/** Params: table. */
export function readStateSql(state: TableRef): string {
  return `SELECT ${STATE_COLUMNS} FROM ${tableSql(state)} WHERE TABLE_NAME = @table`;
}

export function listStateSql(state: TableRef): string {
  return `SELECT ${STATE_COLUMNS} FROM ${tableSql(state)} ORDER BY TABLE_NAME`;
}

/** Replaces a table's state row (statements of the batch's script). */
export function writeStateSql(state: TableRef, row: StateRow): string[] {
  const values = [row.table, row.source, row.mode, row.cursor, row.marker].map(stringLiteral).join(', ');
  return [
    `DELETE FROM ${tableSql(state)} WHERE TABLE_NAME = ${stringLiteral(row.table)}`,
    `INSERT INTO ${tableSql(state)} (TABLE_NAME, SOURCE_TABLE, MODE, CURSOR_VALUE, RUN_MARKER, UPDATED_AT, ` +
      `SNAPSHOT_XMIN) VALUES (${values}, CURRENT_TIMESTAMP(), ${stringLiteral(row.snapshotXmin)})`,
  ];
}

/** JSON has no equality in GoogleSQL: compared as its canonical text. */
function comparable(alias: string, column: ColumnPlan | undefined, name: string): string {
  const ref = `${alias}.${quoteIdent(name)}`;
  const kind = column?.type.kind;
  return kind === 'json' || kind === 'array' ? `TO_JSON_STRING(${ref})` : ref;
}

function sameRow(shape: BatchShape, names: string[]): string {
  const byName = new Map(shape.columns.map((c) => [c.target, c]));
  return names
    .map((n) => `${comparable('t', byName.get(n), n)} IS NOT DISTINCT FROM ${comparable('s', byName.get(n), n)}`)
    .join(' AND ');
}

/**
 * Appends the staged rows the target does not hold yet (by `identity`), so rows re-read by the look-back
 * are not appended twice; only target rows from the batch's lowest cursor on can match.
 */
export function appendSql(target: TableRef, staging: TableRef, shape: BatchShape): string {
  const list = shape.columns.map((c) => quoteIdent(c.target)).join(', ');
  const values = shape.columns.map((c) => `s.${quoteIdent(c.target)}`).join(', ');
  const c = quoteIdent(shape.cursor);
  const recent = `(t.${c} >= (SELECT MIN(${c}) FROM ${tableSql(staging)}) OR t.${c} IS NULL)`;
  return (
    `INSERT INTO ${tableSql(target)} (${list}) SELECT ${values} FROM ${tableSql(staging)} AS s WHERE NOT ` +
    `EXISTS (SELECT 1 FROM ${tableSql(target)} AS t WHERE ${recent} AND ${sameRow(shape, shape.identity)})`
  );
}

/** The latest version of each key of the batch (QUALIFY needs a WHERE), without the soft-deleted ones. */
function survivingRowsSql(staging: TableRef, shape: BatchShape): string {
  const keys = shape.key.map(quoteIdent).join(', ');
  const latest =
    `SELECT * FROM ${tableSql(staging)} WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY ${keys} ` +
    `ORDER BY ${quoteIdent(shape.cursor)} DESC) = 1`;
  if (!shape.deleteWhen) return latest;
  const column = `s.${quoteIdent(shape.deleteWhen.column)}`;
  const deleted = shape.deleteWhen.boolean ? `COALESCE(${column}, FALSE)` : `${column} IS NOT NULL`;
  return `SELECT * FROM (${latest}) AS s WHERE NOT (${deleted})`;
}

/**
 * A merge as two statements of the batch's transaction: the target's rows of every key in the batch go,
 * then the latest version of each key comes back unless it is soft-deleted. What Snowflake's MERGE
 * leaves, columns the source dropped NULL; a repeated batch changes nothing.
 */
export function mergeSql(target: TableRef, staging: TableRef, shape: BatchShape): string[] {
  const list = shape.columns.map((c) => quoteIdent(c.target)).join(', ');
  return [
    `DELETE FROM ${tableSql(target)} AS t WHERE EXISTS (SELECT 1 FROM ${tableSql(staging)} AS s WHERE ` +
      `${sameRow(shape, shape.key)})`,
    `INSERT INTO ${tableSql(target)} (${list}) SELECT ${list} FROM (${survivingRowsSql(staging, shape)})`,
  ];
}

/**
 * A full load of a merge table becomes what merging it into an empty table gives, rewritten in place
 * (the staging table keeps its schema and marker) through a temporary table. Repeating it changes nothing.
 */
export function settleFullLoadScript(staging: TableRef, shape: BatchShape, scratch: string): string {
  const temp = quoteIdent(scratch);
  return [
    `CREATE TEMP TABLE ${temp} AS ${survivingRowsSql(staging, shape)}`,
    'BEGIN TRANSACTION',
    `DELETE FROM ${tableSql(staging)} WHERE TRUE`,
    `INSERT INTO ${tableSql(staging)} SELECT * FROM ${temp}`,
    'COMMIT TRANSACTION',
    `DROP TABLE ${temp}`,
  ].join(';\n');
}

export function widenColumnSql(table: TableRef, column: ColumnPlan): string {
  const type = bigQueryType(column.type);
  return `ALTER TABLE ${tableSql(table)} ALTER COLUMN ${quoteIdent(column.target)} SET DATA TYPE ${type}`;
}
