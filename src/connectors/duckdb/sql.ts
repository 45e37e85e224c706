/**
 * DuckDB SQL, generated in one place. Every identifier is double-quoted and every table named with its
 * catalog (the database file's), so names keep their spelling and may hold quotes, spaces or reserved
 * words, and a schema called `temp` or `system` is still this file's. Values are bound where DuckDB
 * binds them (queries, table-function arguments) and quoted as literals in DDL.
 */
import type { BatchShape } from '../destination';
import type { ColumnKind, ColumnPlan } from '../../shared';
import { duckDbType } from './capabilities';

export interface TableRef {
  catalog: string;
  schema: string;
  name: string;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** DuckDB string literals take no backslash escapes: only the quote is doubled. */
function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function tableSql(ref: TableRef): string {
  return `${quoteIdent(ref.catalog)}.${quoteIdent(ref.schema)}.${quoteIdent(ref.name)}`;
}

export function schemaSql(catalog: string, schema: string): string {
  return `${quoteIdent(catalog)}.${quoteIdent(schema)}`;
}

/** Positional name of a staged CSV field, as the load's read_csv declares it. */
function field(index: number): string {
  return `f${index + 1}`;
}

/**
 * PostgreSQL's ISO 8601 interval output (IntervalStyle iso_8601, pinned by the extract's session): every
 * part optional and signed on its own, seconds with up to six fraction digits (`P1Y2M3DT4H5M6.5S`,
 * `P-1Y-2M3DT-4H-5M-6.5S`, `PT0S`).
 */
const ISO_INTERVAL =
  String.raw`P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)D)?` +
  String.raw`(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+(?:\.\d{1,6})?)S)?)?`;
const INTERVAL_PARTS = ['years', 'months', 'days', 'hours', 'minutes', 'seconds'] as const;

/** The parsed parts of an interval field, computed once in the load's inner SELECT. */
function intervalParts(index: number): string {
  const names = INTERVAL_PARTS.map(quoteLiteral).join(', ');
  return `regexp_extract(${field(index)}, ${quoteLiteral(`^${ISO_INTERVAL}$`)}, [${names}])`;
}

function partsName(index: number): string {
  return `i${index + 1}`;
}

/**
 * An interval's parts into DuckDB's INTERVAL, which keeps months, days and microseconds apart as
 * PostgreSQL does: exactly, with no normalisation. Anything else (PostgreSQL 17's infinite intervals)
 * stops the load with a message that names the column, not the value.
 */
function intervalExpression(index: number): string {
  const f = field(index);
  const part = (name: (typeof INTERVAL_PARTS)[number], type: string) =>
    `CAST(coalesce(nullif(${partsName(index)}.${name}, ''), '0') AS ${type})`;
  const months = `CAST(${part('years', 'BIGINT')} * 12 + ${part('months', 'BIGINT')} AS INTEGER)`;
  const micros =
    `CAST(${part('hours', 'HUGEINT')} * 3600000000 + ${part('minutes', 'HUGEINT')} * 60000000 + ` +
    `CAST(${part('seconds', 'DECIMAL(38,6)')} * 1000000 AS HUGEINT) AS BIGINT)`;
  // The session names the column for `field fN` (session.ts, loadFailure).
  const refusal = quoteLiteral(
    `field ${f} holds an interval DuckDB cannot hold (not an ISO 8601 interval: PostgreSQL's infinite ` +
      `intervals have no DuckDB form)`,
  );
  return (
    `CASE WHEN ${f} IS NULL THEN NULL ` +
    `WHEN NOT regexp_full_match(${f}, ${quoteLiteral(ISO_INTERVAL)}) OR ${f} IN ('P', 'PT') THEN error(${refusal}) ` +
    `ELSE to_months(${months}) + to_days(${part('days', 'INTEGER')}) + to_microseconds(${micros}) END`
  );
}

/**
 * PostgreSQL (DateStyle ISO) writes a BC date as `0044-03-15 BC`, a timestamp as `0044-03-15 12:00:00 BC`
 * and to_json of a timestamptz as `0044-03-15T12:00:00+00:00 BC`; DuckDB reads `0044-03-15 (BC) 12:00:00`
 * and would take the first spelling for a date AD, silently. Only values ending in BC are rewritten.
 */
function bcAware(f: string, type: string, pattern: string, replacement: string): string {
  return (
    `CASE WHEN ends_with(${f}, ' BC') THEN ` +
    `CAST(regexp_replace(${f}, ${quoteLiteral(pattern)}, ${quoteLiteral(replacement)}) AS ${type}) ` +
    `ELSE CAST(${f} AS ${type}) END`
  );
}

/** How staged field `index` becomes the column's value (the staged format: connectors/postgres/types.ts). */
function loadExpression(kind: ColumnKind, index: number): string {
  const f = field(index);
  switch (kind.kind) {
    case 'text':
      return f;
    case 'binary':
      // encode(bytea, 'hex') without the \x prefix
      return `unhex(${f})`;
    case 'date':
      return bcAware(f, 'DATE', String.raw`^(\S+) BC$`, String.raw`\1 (BC)`);
    case 'timestamp':
      return bcAware(f, 'TIMESTAMP', String.raw`^(\S+) (\S+) BC$`, String.raw`\1 (BC) \2`);
    case 'timestamptz':
      return bcAware(f, 'TIMESTAMPTZ', String.raw`^([^T]+)T(\S+) BC$`, String.raw`\1 (BC) \2`);
    case 'interval':
      return intervalExpression(index);
    default:
      // Integers, DECIMAL, REAL/DOUBLE (inf, -inf, NaN), BOOLEAN (t/f), TIME (24:00:00 too), UUID, JSON
      // (the text as written: CAST validates it and keeps it as is).
      return `CAST(${f} AS ${duckDbType(kind)})`;
  }
}

/**
 * Reads one staged file as PostgreSQL's `COPY … (FORMAT csv)` wrote it: every field as text, no header,
 * `"` quoting and escaping; an unquoted empty field is NULL and a quoted one (`""`) the empty string
 * (`allow_quoted_nulls = false`); strict, so a short or long row fails instead of padding. `lineBytes`:
 * the longest row read, when more than DuckDB's default 2 MB. Binds: the file's path, its compression.
 */
function readStagedCsv(fields: number, lineBytes: number | undefined): string {
  const columns = Array.from({ length: fields }, (_, i) => `${quoteLiteral(field(i))}: 'VARCHAR'`).join(', ');
  const lines = lineBytes === undefined ? '' : `, max_line_size = ${lineBytes}, buffer_size = ${lineBytes}`;
  return (
    `read_csv($1, columns = {${columns}}, compression = $2, header = false, auto_detect = false, ` +
    `delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false, strict_mode = true, ` +
    `null_padding = false${lines})`
  );
}

/** DuckDB's CSV reader refusing a row longer than its line size: read the file again with long lines. */
export const LINE_TOO_LONG = /Maximum line size of \d+ bytes exceeded/;

/**
 * Loads one staged file into a table, each field through its column's expression. Binds: path, compression.
 */
export function loadFileSql(table: TableRef, columns: ColumnPlan[], lineBytes: number | undefined): string {
  const targets = columns.map((c) => quoteIdent(c.target)).join(', ');
  const values = columns.map((c, i) => loadExpression(c.type, i)).join(', ');
  const parts = columns.flatMap((c, i) =>
    c.type.kind === 'interval' ? [`, ${intervalParts(i)} AS ${partsName(i)}`] : [],
  );
  return (
    `INSERT INTO ${tableSql(table)} (${targets}) SELECT ${values} FROM ` +
    `(SELECT *${parts.join('')} FROM ${readStagedCsv(columns.length, lineBytes)}) AS staged`
  );
}

export function createTableSql(table: TableRef, columns: ColumnPlan[]): string {
  const definitions = columns.map(
    (c) => `${quoteIdent(c.target)} ${duckDbType(c.type)}${c.nullable ? '' : ' NOT NULL'}`,
  );
  return `CREATE OR REPLACE TABLE ${tableSql(table)} (${definitions.join(', ')})`;
}

export function commentSql(table: TableRef, comment: string): string {
  return `COMMENT ON TABLE ${tableSql(table)} IS ${quoteLiteral(comment)}`;
}

export function renameSql(from: TableRef, to: string): string {
  return `ALTER TABLE ${tableSql(from)} RENAME TO ${quoteIdent(to)}`;
}

/**
 * Which staged files each table has loaded, written in the transaction of the load itself: a repeated
 * load of a file (an activity retried after a crash) finds it here and skips it, as Snowflake's load
 * metadata does. Records follow their table through renames and go with it when it is replaced or dropped.
 */
export const LOADS_TABLE = '_conduit_loads';

export function createLoadsTableSql(loads: TableRef): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${tableSql(loads)} (TABLE_NAME VARCHAR NOT NULL, FILE_NAME VARCHAR NOT NULL, ` +
    `ROWS_LOADED BIGINT NOT NULL, LOADED_AT TIMESTAMP NOT NULL)`
  );
}

/** Binds: table name, file name. */
export function loadedSql(loads: TableRef): string {
  return `SELECT ROWS_LOADED FROM ${tableSql(loads)} WHERE TABLE_NAME = $1 AND FILE_NAME = $2`;
}

/** Binds: table name, file name, rows. */
export function recordLoadSql(loads: TableRef): string {
  return `INSERT INTO ${tableSql(loads)} VALUES ($1, $2, $3, ${UTC_NOW})`;
}

/** Binds: table name. */
export function forgetLoadsSql(loads: TableRef): string {
  return `DELETE FROM ${tableSql(loads)} WHERE TABLE_NAME = $1`;
}

/** Exchanges two tables' load records (a swap). Binds: one table's name, the other's. */
export function swapLoadsSql(loads: TableRef): string {
  return (
    `UPDATE ${tableSql(loads)} SET TABLE_NAME = CASE WHEN TABLE_NAME = $1 THEN $2 ELSE $1 END ` +
    `WHERE TABLE_NAME IN ($1, $2)`
  );
}

/** Moves a table's load records to its new name (a rename). Binds: old name, new name. */
export function moveLoadsSql(loads: TableRef): string {
  return `UPDATE ${tableSql(loads)} SET TABLE_NAME = $2 WHERE TABLE_NAME = $1`;
}

/** The current time in UTC as a TIMESTAMP (a TIMESTAMPTZ cast would take the session's time zone). */
const UTC_NOW = `timezone('UTC', current_timestamp)`;

/** The columns of Snowflake's state table (connectors/snowflake/incremental-sql.ts), so both read alike. */
export function createStateTableSql(state: TableRef): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${tableSql(state)} (TABLE_NAME VARCHAR NOT NULL, SOURCE_TABLE VARCHAR, ` +
    `MODE VARCHAR, CURSOR_VALUE VARCHAR, RUN_MARKER VARCHAR, UPDATED_AT TIMESTAMP, SNAPSHOT_XMIN VARCHAR)`
  );
}

/** State tables made before SNAPSHOT_XMIN existed gain it (NULL in their rows). */
export function evolveStateTableSql(state: TableRef): string {
  return `ALTER TABLE ${tableSql(state)} ADD COLUMN IF NOT EXISTS SNAPSHOT_XMIN VARCHAR`;
}

const STATE_COLUMNS =
  `TABLE_NAME AS "table", SOURCE_TABLE AS "source", MODE AS "mode", CURSOR_VALUE AS "cursor", ` +
  `RUN_MARKER AS "marker", strftime(UPDATED_AT, '%Y-%m-%dT%H:%M:%S.%fZ') AS "updated", ` +
  `SNAPSHOT_XMIN AS "snapshotXmin"`;

/** Binds: target table name. */
export function readStateSql(state: TableRef): string {
  return `SELECT ${STATE_COLUMNS} FROM ${tableSql(state)} WHERE TABLE_NAME = $1`;
}

export function listStateSql(state: TableRef): string {
  return `SELECT ${STATE_COLUMNS} FROM ${tableSql(state)} ORDER BY TABLE_NAME`;
}

/** Binds: target table name. */
export function deleteStateSql(state: TableRef): string {
  return `DELETE FROM ${tableSql(state)} WHERE TABLE_NAME = $1`;
}

/** Binds: target table name, source table, mode, cursor (or NULL), run marker, snapshot xmin (or NULL). */
export function insertStateSql(state: TableRef): string {
  return (
    `INSERT INTO ${tableSql(state)} (TABLE_NAME, SOURCE_TABLE, MODE, CURSOR_VALUE, RUN_MARKER, UPDATED_AT, ` +
    `SNAPSHOT_XMIN) VALUES ($1, $2, $3, $4, $5, ${UTC_NOW}, $6)`
  );
}

/** Tables of this database, their schema and comment; binds: schema, table (names compared folded, see caller). */
export function tablesSql(): string {
  return (
    `SELECT schema_name AS "schema", table_name AS "name", comment AS "comment" FROM duckdb_tables() ` +
    `WHERE database_name = current_database() AND lower(schema_name) = lower($1) AND lower(table_name) = lower($2)`
  );
}

/** Columns of the tables of a name; binds: schema, table (folded comparison as in tablesSql). */
export function columnsSql(): string {
  return (
    `SELECT schema_name AS "schema", table_name AS "table", column_name AS "name", data_type AS "type", ` +
    `numeric_precision AS "precision", numeric_scale AS "scale", is_nullable AS "nullable" FROM duckdb_columns() ` +
    `WHERE database_name = current_database() AND lower(schema_name) = lower($1) AND lower(table_name) = lower($2) ` +
    `ORDER BY column_index`
  );
}

export function addColumnSql(table: TableRef, column: ColumnPlan): string {
  return `ALTER TABLE ${tableSql(table)} ADD COLUMN ${quoteIdent(column.target)} ${duckDbType(column.type)}`;
}

/** DuckDB converts the column in place (capabilities.ts allows only conversions that keep every value). */
export function widenColumnSql(table: TableRef, column: ColumnPlan): string {
  const type = duckDbType(column.type);
  return `ALTER TABLE ${tableSql(table)} ALTER COLUMN ${quoteIdent(column.target)} SET DATA TYPE ${type}`;
}

export function dropNotNullSql(table: TableRef, column: string): string {
  return `ALTER TABLE ${tableSql(table)} ALTER COLUMN ${quoteIdent(column)} DROP NOT NULL`;
}

/**
 * Appends the staged rows the target does not hold yet, identified by `identity` (key and cursor, or
 * every column), so rows re-read by the look-back are not appended twice. As in Snowflake's version
 * (incremental-sql.ts), only target rows from the batch's lowest cursor on can match, which lets
 * DuckDB's zone maps skip older row groups.
 */
export function appendSql(target: TableRef, staging: TableRef, shape: BatchShape): string {
  const list = shape.columns.map((c) => quoteIdent(c.target)).join(', ');
  const values = shape.columns.map((c) => `s.${quoteIdent(c.target)}`).join(', ');
  const same = shape.identity.map((c) => `t.${quoteIdent(c)} IS NOT DISTINCT FROM s.${quoteIdent(c)}`).join(' AND ');
  const c = quoteIdent(shape.cursor);
  const recent = `(t.${c} >= (SELECT MIN(${c}) FROM ${tableSql(staging)}) OR t.${c} IS NULL)`;
  return (
    `INSERT INTO ${tableSql(target)} (${list}) SELECT ${values} FROM ${tableSql(staging)} AS s WHERE NOT ` +
    `EXISTS (SELECT 1 FROM ${tableSql(target)} AS t WHERE ${recent} AND ${same})`
  );
}

/** The batch with one row per key: the latest cursor wins. */
function latestPerKey(staging: TableRef, shape: BatchShape): string {
  return (
    `(SELECT * FROM ${tableSql(staging)} QUALIFY row_number() OVER (PARTITION BY ` +
    `${shape.key.map(quoteIdent).join(', ')} ORDER BY ${quoteIdent(shape.cursor)} DESC) = 1)`
  );
}

function deletedSql(deleteWhen: NonNullable<BatchShape['deleteWhen']>): string {
  const column = `s.${quoteIdent(deleteWhen.column)}`;
  return deleteWhen.boolean ? `coalesce(${column}, false)` : `${column} IS NOT NULL`;
}

/** The latest version of each key of the batch, without the soft-deleted ones. */
function survivingRows(staging: TableRef, shape: BatchShape): string {
  const where = shape.deleteWhen ? ` WHERE NOT (${deletedSql(shape.deleteWhen)})` : '';
  return `SELECT * FROM ${latestPerKey(staging, shape)} AS s${where}`;
}

/**
 * A merge as two statements of one transaction: the target's rows of every key in the batch go, then
 * the latest version of each key comes back unless it is soft-deleted. That is what Snowflake's MERGE
 * (incremental-sql.ts) leaves, including NULL in the columns the source dropped (they are not inserted),
 * and a repeated batch changes nothing.
 */
export function mergeSql(target: TableRef, staging: TableRef, shape: BatchShape): string[] {
  const on = shape.key.map((k) => `t.${quoteIdent(k)} = s.${quoteIdent(k)}`).join(' AND ');
  const keys = shape.key.map(quoteIdent).join(', ');
  const list = shape.columns.map((c) => quoteIdent(c.target)).join(', ');
  return [
    `DELETE FROM ${tableSql(target)} AS t USING (SELECT DISTINCT ${keys} FROM ${tableSql(staging)}) AS s WHERE ${on}`,
    `INSERT INTO ${tableSql(target)} (${list}) SELECT ${list} FROM (${survivingRows(staging, shape)})`,
  ];
}

/**
 * A full load of a merge table becomes what merging it into an empty table gives: one row per key and
 * no soft-deleted rows. Rewritten through a temporary table (DuckDB has no INSERT OVERWRITE), in one
 * transaction, so the staging table keeps its types and marker; repeating it changes nothing.
 */
export function settleFullLoadSql(staging: TableRef, shape: BatchShape, scratch: string): string[] {
  const temp = `temp.main.${quoteIdent(scratch)}`;
  return [
    `CREATE OR REPLACE TEMP TABLE ${quoteIdent(scratch)} AS ${survivingRows(staging, shape)}`,
    `DELETE FROM ${tableSql(staging)}`,
    `INSERT INTO ${tableSql(staging)} SELECT * FROM ${temp}`,
    `DROP TABLE ${temp}`,
  ];
}
