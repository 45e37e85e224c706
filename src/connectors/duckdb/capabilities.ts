/**
 * What DuckDB holds and loads, declared without the SDK (a worker loads @duckdb/node-api only when a
 * pipeline opens a DuckDB session; docs read this file too). See docs/destinations.md, "DuckDB".
 */
import { createHash } from 'node:crypto';
import type {
  DestinationCapabilities,
  RunObjectNames,
  SchemaChange,
  SchemaDiff,
  TargetColumn,
  ValueLimits,
} from '../destination';
import type { ColumnKind, ColumnPlan, QualifiedName } from '../../shared';
import { describeSchemaChange, diffColumns } from '../schema-changes';

/** DECIMAL(p,s): precision 1–38, scale 0–precision (DECIMAL(38,38) exists, unlike Snowflake's NUMBER). */
const MAX_DECIMAL_PRECISION = 38;

/**
 * The longest line (one row of a staged file, every value quoted or hex-encoded) a load reads. DuckDB's CSV
 * reader defaults to 2 MB, which ordinary large text exceeds; buffers this large cost it a third of its speed,
 * so a file is read with the defaults first and again with these only when a row is longer (session.ts).
 * Larger buffers fail to allocate.
 */
export const MAX_CSV_LINE_BYTES = 1024 * 1024 * 1024;

/**
 * DuckDB itself holds values up to 4 GB, so the real limit is the staged line above: one value may take
 * a quarter of it as text (quotes may double it) and an eighth as binary (hex doubles it), which leaves
 * room for the row's other values. A row of several values near the limits fails its load, naming the file.
 */
const MAX_TEXT_BYTES = MAX_CSV_LINE_BYTES / 4;
const MAX_BINARY_BYTES = MAX_CSV_LINE_BYTES / 8;

const duckDbLimits: ValueLimits = {
  decimal: { maxPrecision: MAX_DECIMAL_PRECISION, maxScale: MAX_DECIMAL_PRECISION },
  maxTextBytes: MAX_TEXT_BYTES,
  maxBinaryBytes: MAX_BINARY_BYTES,
  // DATE, TIMESTAMP and TIMESTAMPTZ hold ±infinity and BC dates (down to 4713 BC and beyond).
  dateRange: 'postgres-infinity',
  time2400: true,
};

/**
 * The DuckDB column type that holds a column kind exactly.
 *
 * Arrays land as JSON, not LIST: a PostgreSQL array column fixes neither its element type in
 * ColumnKind (`{ kind: 'array' }` has none) nor its number of dimensions (an `int[]` column may hold
 * `{1,2}` in one row and `{{1,2},{3,4}}` in the next), while LIST(INTEGER) and LIST(LIST(INTEGER)) are
 * different types. JSON keeps every value exactly (nesting, NULL elements, ±Infinity spelled as strings
 * by PostgreSQL's to_json) and DuckDB's json functions read it as a list (`json_extract(col, '$[0]')`,
 * `CAST(col AS INTEGER[])`).
 */
export function duckDbType(kind: ColumnKind): string {
  switch (kind.kind) {
    case 'integer':
      return kind.bytes === 2 ? 'SMALLINT' : kind.bytes === 4 ? 'INTEGER' : 'BIGINT';
    case 'decimal':
      return decimalType(kind.precision, kind.scale);
    case 'float':
      return kind.bytes === 4 ? 'REAL' : 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'text':
      // DuckDB stores no length: VARCHAR(n) is accepted and not enforced, so none is declared.
      return 'VARCHAR';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamptz':
      return 'TIMESTAMPTZ';
    case 'interval':
      return 'INTERVAL';
    case 'uuid':
      return 'UUID';
    case 'json':
    case 'array':
      return 'JSON';
    case 'binary':
      return 'BLOB';
  }
}

function decimalType(precision: number, scale: number): string {
  const valid =
    Number.isInteger(precision) &&
    Number.isInteger(scale) &&
    precision >= 1 &&
    precision <= MAX_DECIMAL_PRECISION &&
    scale >= 0 &&
    scale <= precision;
  if (!valid)
    throw new Error(`DECIMAL(${precision},${scale}) is not a DuckDB type (precision 1–38, scale 0–precision)`);
  return `DECIMAL(${precision},${scale})`;
}

/**
 * DuckDB resolves identifiers case-insensitively, even quoted ones, folding ASCII letters only ("Orders"
 * and "orders" are one table, "Ü" and "ü" two): names are compared the way it compares them.
 */
export function foldIdentifier(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/**
 * The shadow table and the staging area of a run, next to the target: deterministic from the target and
 * the run, so a resumed run finds its own. DuckDB has no identifier length limit, and PostgreSQL's names
 * (at most 63 bytes) keep these short; the staging area's folder name is made file-system safe apart
 * (staging.ts).
 */
export function runObjectNames(target: QualifiedName, runKey: string): RunObjectNames {
  return {
    shadow: { schema: target.schema, name: `${target.name}__conduit_${runKey}` },
    stage: { schema: target.schema, name: `_conduit_stage_${runKey}_${shortHash(target.name)}` },
  };
}

/** A type as DuckDB reports it (duckdb_columns().data_type) or as duckDbType spells it, without parameters. */
function baseType(type: string): string {
  const name = type.toUpperCase().replace(/\(.*$/, '').trim();
  const aliases: Record<string, string> = {
    FLOAT: 'REAL',
    FLOAT4: 'REAL',
    FLOAT8: 'DOUBLE',
    'TIMESTAMP WITH TIME ZONE': 'TIMESTAMPTZ',
    NUMERIC: 'DECIMAL',
    INT2: 'SMALLINT',
    INT4: 'INTEGER',
    INT: 'INTEGER',
    INT8: 'BIGINT',
    TEXT: 'VARCHAR',
    STRING: 'VARCHAR',
    BOOL: 'BOOLEAN',
    BYTEA: 'BLOB',
  };
  return aliases[name] ?? name;
}

const INTEGER_BYTES: Record<string, 2 | 4 | 8> = { SMALLINT: 2, INTEGER: 4, BIGINT: 8 };

function describeTarget(target: TargetColumn): string {
  return baseType(target.type) === 'DECIMAL' ? `DECIMAL(${target.precision},${target.scale})` : baseType(target.type);
}

/**
 * What a source column needs from the target column of the same name: nothing when the target holds
 * every source value; a wider type when DuckDB can convert the column in place without losing a value
 * (a larger integer, REAL to DOUBLE, a DECIMAL with as many digits before and after the point as
 * either); otherwise an incompatible change, in words.
 */
function typeChange(column: ColumnPlan, target: TargetColumn): SchemaChange | string | undefined {
  const from = describeTarget(target);
  const wanted = duckDbType(column.type);
  const kind = column.type;
  const targetBase = baseType(target.type);
  const refused = `"${column.source}" changed from ${from} to ${column.sourceType} (${wanted})`;
  if (kind.kind === 'integer') {
    const held = INTEGER_BYTES[targetBase];
    if (held === undefined) return refused;
    return kind.bytes > held ? { kind: 'widen', column, from } : undefined;
  }
  if (kind.kind === 'float') {
    if (targetBase !== 'REAL' && targetBase !== 'DOUBLE') return refused;
    return kind.bytes === 8 && targetBase === 'REAL' ? { kind: 'widen', column, from } : undefined;
  }
  if (kind.kind === 'decimal') {
    if (targetBase !== 'DECIMAL' || target.precision === undefined || target.scale === undefined) return refused;
    const scale = Math.max(kind.scale, target.scale);
    const integer = Math.max(kind.precision - kind.scale, target.precision - target.scale);
    if (scale === target.scale && integer === target.precision - target.scale) return undefined;
    if (integer + scale > MAX_DECIMAL_PRECISION)
      return `${refused}: no DECIMAL holds both (${integer} digits before the point and ${scale} after)`;
    const widened: ColumnPlan = { ...column, type: { kind: 'decimal', precision: integer + scale, scale } };
    return { kind: 'widen', column: widened, from };
  }
  return baseType(wanted) === targetBase ? undefined : refused;
}

/**
 * Source columns against the target's. New columns are added (nullable), types widened where DuckDB can
 * convert in place, NOT NULL dropped where the source allows NULL now, columns the source dropped kept
 * (nullable, NULL from now on); anything else is refused. Names match as DuckDB matches them.
 */
export function diffSchema(source: ColumnPlan[], target: TargetColumn[]): SchemaDiff {
  return diffColumns(source, target, foldIdentifier, typeChange);
}

export const duckDbCapabilities: DestinationCapabilities = {
  type: 'duckdb',
  displayName: 'DuckDB',
  columnType: duckDbType,
  limits: duckDbLimits,
  // A session holds the file's lock (database.ts): released after each activity, so others may open the file.
  keepSessionsBetweenActivities: false,
  // Both decompress inside DuckDB's CSV reader; zstd first, as for every destination (compression.ts).
  codecs: ['zstd', 'gzip'],
  identifierKey: foldIdentifier,
  runObjectNames,
  diffSchema,
  describeChange: (change) => describeSchemaChange(change, duckDbType),
};
