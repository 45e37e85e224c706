/**
 * Snowflake SQL, generated in one place. Every identifier is double-quoted so names keep their exact
 * case and may hold spaces, quotes or reserved words; values are bound or quoted as literals.
 */
import { createHash } from 'node:crypto';
import type { ColumnKind, ColumnPlan, QualifiedName } from '../../shared';
import type { Codec } from '../../config/compression';
import type { RunObjectNames } from '../destination';
import { MAX_BINARY_BYTES, MAX_NUMBER_PRECISION, MAX_NUMBER_SCALE, MAX_VARCHAR_BYTES } from './limits';

export interface TableRef {
  database: string;
  schema: string;
  name: string;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export function tableSql(ref: TableRef): string {
  return `${quoteIdent(ref.database)}.${quoteIdent(ref.schema)}.${quoteIdent(ref.name)}`;
}

/** Snowflake's identifier limit. */
const MAX_IDENTIFIER = 255;

/**
 * Run-scoped objects are named from the target and the run so a resumed run finds its own objects
 * and two runs never share one. Long target names are shortened with a hash to stay within limits.
 */
export function shadowTableName(target: string, runKey: string): string {
  return fit(`${target}__conduit_${runKey}`, target, `__conduit_${runKey}`);
}

/**
 * A stage as a PUT or COPY location. Snowflake reads an unquoted `@db.schema.stage` only while it has no
 * spaces or special characters; the whole reference in single quotes holds any name (its PUT docs).
 */
export function stageLocationSql(stage: TableRef): string {
  return quoteLiteral(`@${tableSql(stage)}`);
}

export function stageName(target: string, runKey: string): string {
  return `_conduit_stage_${runKey}_${shortHash(target)}`;
}

/** The run's shadow table and stage, in the target's schema. */
export function runObjectNames(target: QualifiedName, runKey: string): RunObjectNames {
  return {
    shadow: { schema: target.schema, name: shadowTableName(target.name, runKey) },
    stage: { schema: target.schema, name: stageName(target.name, runKey) },
  };
}

function fit(full: string, stem: string, suffix: string): string {
  if (full.length <= MAX_IDENTIFIER) return full;
  const hash = `_${shortHash(stem)}`;
  return `${stem.slice(0, MAX_IDENTIFIER - suffix.length - hash.length)}${hash}${suffix}`;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** The Snowflake column type that holds a column kind exactly. */
export function snowflakeType(kind: ColumnKind): string {
  switch (kind.kind) {
    case 'integer':
      return kind.bytes === 2 ? 'NUMBER(5,0)' : kind.bytes === 4 ? 'NUMBER(10,0)' : 'NUMBER(19,0)';
    case 'decimal':
      return numberType(kind.precision, kind.scale);
    case 'float':
      return 'FLOAT';
    case 'boolean':
      return 'BOOLEAN';
    case 'text':
      // Without a length Snowflake's VARCHAR holds 16,777,216 characters; the explicit maximum holds 128 MB.
      return `VARCHAR(${kind.maxLength ?? MAX_VARCHAR_BYTES})`;
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME(6)';
    case 'timestamp':
      return 'TIMESTAMP_NTZ(6)';
    case 'timestamptz':
      return 'TIMESTAMP_TZ(6)';
    case 'interval':
      return 'VARCHAR';
    case 'uuid':
      return 'VARCHAR(36)';
    case 'json':
      return 'VARIANT';
    case 'array':
      return 'ARRAY';
    case 'binary':
      // BINARY without a length is BINARY(8388608); the maximum is 64 MB.
      return `BINARY(${MAX_BINARY_BYTES})`;
  }
}

/** NUMBER(p,s) within Snowflake's limits; the mapping must never produce anything else. */
function numberType(precision: number, scale: number): string {
  const valid =
    Number.isInteger(precision) &&
    Number.isInteger(scale) &&
    precision >= 1 &&
    precision <= MAX_NUMBER_PRECISION &&
    scale >= 0 &&
    scale <= Math.min(MAX_NUMBER_SCALE, precision);
  if (!valid) throw new Error(`NUMBER(${precision},${scale}) is not a Snowflake type (precision 1–38, scale 0–37)`);
  return `NUMBER(${precision},${scale})`;
}

/**
 * How the staged CSV field at `position` (1-based) becomes the column's value in a transforming COPY.
 * COPY transformations accept only some functions, and some without their optional arguments
 * (https://docs.snowflake.com/en/user-guide/data-load-transform): JSON uses PARSE_JSON with one
 * argument (duplicate keys are resolved in the extract, see types.ts), and binary is a plain field
 * that the FILE_FORMAT's BINARY_FORMAT = HEX decodes, with no conversion function at all.
 */
export function loadExpression(kind: ColumnKind, position: number): string {
  const field = `$${position}`;
  switch (kind.kind) {
    case 'json':
      return `PARSE_JSON(${field})`;
    case 'array':
      return `PARSE_JSON(${field})::ARRAY`;
    default:
      return field;
  }
}

/**
 * Finds a schema by its exact name; binds: schema name. Needs only USAGE on the database (the view
 * lists the schemas the role has any privilege on), unlike CREATE SCHEMA IF NOT EXISTS.
 */
export function schemaExistsSql(database: string): string {
  return `SELECT SCHEMA_NAME AS "name" FROM ${quoteIdent(database)}.INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = ?`;
}

/** Needs CREATE SCHEMA on the database even when the schema exists: run it only for a missing one. */
export function createSchemaSql(database: string, schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(database)}.${quoteIdent(schema)}`;
}

export function createStageSql(stage: TableRef): string {
  return `CREATE STAGE IF NOT EXISTS ${tableSql(stage)} COMMENT = 'conduit run-scoped stage'`;
}

export function dropStageSql(stage: TableRef): string {
  return `DROP STAGE IF EXISTS ${tableSql(stage)}`;
}

/** The shadow table is created empty, typed, and marked with the run that owns it. */
export function createShadowTableSql(shadow: TableRef, columns: ColumnPlan[], runMarker: string): string {
  const definitions = columns.map(
    (c) => `${quoteIdent(c.target)} ${snowflakeType(c.type)}${c.nullable ? '' : ' NOT NULL'}`,
  );
  return `CREATE OR REPLACE TABLE ${tableSql(shadow)} (${definitions.join(', ')}) COMMENT = ${quoteLiteral(runMarker)}`;
}

/** Snowflake's name of each staged file codec (PUT's SOURCE_COMPRESSION; COPY detects it with AUTO). */
const SNOWFLAKE_CODEC: Record<Codec, string> = { zstd: 'ZSTD', gzip: 'GZIP' };

/** Uploads an already compressed local file; OVERWRITE makes a redone partition replace its earlier file. */
export function putFileSql(localPath: string, codec: Codec, stage: TableRef): string {
  if (/['\\]/.test(localPath))
    throw new Error(`local staging path must not contain quotes or backslashes: ${localPath}`);
  return (
    `PUT 'file://${localPath}' ${stageLocationSql(stage)} ` +
    `AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = ${SNOWFLAKE_CODEC[codec]} OVERWRITE = TRUE`
  );
}

/** Snowflake accepts at most this many names in one COPY's FILES list. */
export const MAX_FILES_PER_COPY = 1000;

/**
 * Loads staged files into the shadow table. Snowflake's load metadata skips a file this table has
 * already loaded, so repeating the statement after a crash loads nothing twice. COMPRESSION = AUTO
 * detects each file's codec (zstd or gzip, see compression.ts), so one COPY takes partitions staged
 * by workers with different codecs.
 */
export function copyIntoSql(shadow: TableRef, columns: ColumnPlan[], stage: TableRef, files: string[]): string {
  if (files.length === 0 || files.length > MAX_FILES_PER_COPY)
    throw new Error(`COPY takes 1 to ${MAX_FILES_PER_COPY} files, got ${files.length}`);
  const targets = columns.map((c) => quoteIdent(c.target)).join(', ');
  const values = columns.map((c, i) => loadExpression(c.type, i + 1)).join(', ');
  const fileList = files.map(quoteLiteral).join(', ');
  return (
    `COPY INTO ${tableSql(shadow)} (${targets}) FROM (SELECT ${values} FROM ${stageLocationSql(stage)}) ` +
    `FILES = (${fileList}) ` +
    `FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = () ` +
    `EMPTY_FIELD_AS_NULL = TRUE BINARY_FORMAT = HEX COMPRESSION = AUTO) ` +
    `ON_ERROR = ABORT_STATEMENT`
  );
}

export function countRowsSql(table: TableRef): string {
  return `SELECT COUNT(*) AS "rows" FROM ${tableSql(table)}`;
}

/** Reads whether a table exists and its comment; binds: schema, table name. */
export function tableCommentSql(database: string): string {
  return (
    `SELECT "COMMENT" AS "comment" FROM ${quoteIdent(database)}.INFORMATION_SCHEMA.TABLES ` +
    `WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`
  );
}

/** Exchanges the two tables' contents and metadata in one atomic operation. */
export function swapSql(target: TableRef, shadow: TableRef): string {
  return `ALTER TABLE ${tableSql(target)} SWAP WITH ${tableSql(shadow)}`;
}

export function renameSql(from: TableRef, to: TableRef): string {
  return `ALTER TABLE ${tableSql(from)} RENAME TO ${tableSql(to)}`;
}

export function dropTableSql(table: TableRef): string {
  return `DROP TABLE IF EXISTS ${tableSql(table)}`;
}

export function tableRef(database: string, name: QualifiedName): TableRef {
  return { database, schema: name.schema, name: name.name };
}
