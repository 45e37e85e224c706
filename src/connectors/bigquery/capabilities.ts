/**
 * What BigQuery holds and loads, declared without the client library (a worker loads
 * @google-cloud/bigquery only when a pipeline opens a BigQuery session). Limits and rules checked
 * against BigQuery's documentation (2026-12); docs/bigquery-emulator.md says where the emulator differs.
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

/**
 * NUMERIC(P,S): 0 ≤ S ≤ 9, max(1,S) ≤ P ≤ S + 29. BIGNUMERIC(P,S): 0 ≤ S ≤ 38, max(1,S) ≤ P ≤ S + 38
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types#parameterized_decimal_type).
 */
const NUMERIC_MAX_SCALE = 9;
const NUMERIC_MAX_INTEGER_DIGITS = 29;
const BIGNUMERIC_MAX_SCALE = 38;
const BIGNUMERIC_MAX_INTEGER_DIGITS = 38;

/**
 * The interface's limits are one precision and one scale, while BIGNUMERIC's bound is 38 digits before
 * the point and 38 after: 38/38 keeps every mapped decimal exact (wider ones are sized from the data and
 * checked while extracting). BIGNUMERIC(76,38) would need a limit on the integer digits alone.
 */
export const MAX_DECIMAL_PRECISION = 38;

/** CSV loads: at most 100 MB a row and a cell (https://cloud.google.com/bigquery/quotas#load_jobs). */
const MAX_CSV_CELL_BYTES = 100 * 1024 * 1024;

export const bigQueryLimits: ValueLimits = {
  decimal: { maxPrecision: MAX_DECIMAL_PRECISION, maxScale: BIGNUMERIC_MAX_SCALE },
  maxTextBytes: MAX_CSV_CELL_BYTES,
  // Staged as hex, which doubles it.
  maxBinaryBytes: MAX_CSV_CELL_BYTES / 2,
  // DATE, DATETIME and TIMESTAMP hold years 1–9999 only; TIME ends at 23:59:59.999999.
  dateRange: 'years-1-9999',
  time2400: false,
};

/**
 * The BigQuery column type that holds a column kind exactly.
 * - interval: STRING in PostgreSQL's ISO 8601 form (`P1Y2M3DT4H5M6.5S`). BigQuery's INTERVAL keeps
 *   years-months, days and time apart as PostgreSQL does, but its text form is `Y-M D H:M:S` and it
 *   caps each part (±10,000 years); STRING keeps every value exactly and PARSE/CAST reach INTERVAL.
 * - arrays: JSON. ARRAY cannot hold NULL elements (a load or query fails), cannot nest directly, and a
 *   PostgreSQL array column fixes neither its element nullability nor its dimensions; JSON keeps all
 *   (`JSON_VALUE_ARRAY`, `JSON_QUERY_ARRAY` read it back as arrays).
 * - uuid: STRING (BigQuery has no UUID type).
 */
export function bigQueryType(kind: ColumnKind): string {
  switch (kind.kind) {
    case 'integer':
      return 'INT64';
    case 'decimal':
      return decimalType(kind.precision, kind.scale);
    case 'float':
      return 'FLOAT64';
    case 'boolean':
      return 'BOOL';
    case 'text':
    case 'uuid':
    case 'interval':
      return 'STRING';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'timestamp':
      return 'DATETIME';
    case 'timestamptz':
      return 'TIMESTAMP';
    case 'json':
    case 'array':
      return 'JSON';
    case 'binary':
      return 'BYTES';
  }
}

/** NUMERIC where it holds the digits (cheaper, the default numeric type), else BIGNUMERIC. */
function decimalType(precision: number, scale: number): string {
  const integerDigits = precision - scale;
  const valid =
    Number.isInteger(precision) &&
    Number.isInteger(scale) &&
    scale >= 0 &&
    precision >= Math.max(1, scale) &&
    scale <= BIGNUMERIC_MAX_SCALE &&
    integerDigits <= BIGNUMERIC_MAX_INTEGER_DIGITS;
  if (!valid)
    throw new Error(
      `DECIMAL(${precision},${scale}) has no BigQuery type (at most ${BIGNUMERIC_MAX_INTEGER_DIGITS} digits ` +
        `before the point and ${BIGNUMERIC_MAX_SCALE} after)`,
    );
  if (scale <= NUMERIC_MAX_SCALE && integerDigits <= NUMERIC_MAX_INTEGER_DIGITS)
    return `NUMERIC(${precision},${scale})`;
  return `BIGNUMERIC(${precision},${scale})`;
}

/** Column names are case-insensitive in BigQuery ("Id" and "id" are one column); table and dataset names are not. */
export function foldColumnName(name: string): string {
  return name.toLowerCase();
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** Table names: at most 1,024 UTF-8 bytes (https://cloud.google.com/bigquery/docs/tables#table_naming). */
export const MAX_TABLE_NAME_BYTES = 1024;

/**
 * The run's shadow table next to the target and its staging area (a local folder, named like a table):
 * deterministic from the target and the run, so a resumed run finds its own. A target name too long to
 * take the suffix is replaced by a hash of it.
 */
export function runObjectNames(target: QualifiedName, runKey: string): RunObjectNames {
  const suffix = `__conduit_${runKey}`;
  const fits = Buffer.byteLength(target.name + suffix, 'utf8') <= MAX_TABLE_NAME_BYTES;
  return {
    shadow: {
      schema: target.schema,
      name: fits ? `${target.name}${suffix}` : `_conduit_shadow_${shortHash(target.name)}${suffix}`,
    },
    stage: { schema: target.schema, name: `_conduit_stage_${runKey}_${shortHash(target.name)}` },
  };
}

/** A type as BigQuery's INFORMATION_SCHEMA.COLUMNS spells it (`NUMERIC(10, 2)`, `INT64`), without parameters. */
function baseType(type: string): string {
  const name = type.toUpperCase().replace(/\(.*$/, '').trim();
  const aliases: Record<string, string> = {
    INTEGER: 'INT64',
    INT: 'INT64',
    BIGINT: 'INT64',
    SMALLINT: 'INT64',
    FLOAT: 'FLOAT64',
    BOOLEAN: 'BOOL',
    DECIMAL: 'NUMERIC',
    BIGDECIMAL: 'BIGNUMERIC',
  };
  return aliases[name] ?? name;
}

function describeTarget(target: TargetColumn): string {
  const base = baseType(target.type);
  if ((base === 'NUMERIC' || base === 'BIGNUMERIC') && target.precision !== undefined)
    return `${base}(${target.precision},${target.scale ?? 0})`;
  return base;
}

/**
 * What a source column needs from the target column of the same name. BigQuery changes a type in place
 * only where every value converts (ALTER COLUMN SET DATA TYPE: NUMERIC to BIGNUMERIC, and a parameterized
 * decimal to a wider one of the same scale or more); anything else is an incompatible change, in words.
 */
function typeChange(column: ColumnPlan, target: TargetColumn): SchemaChange | string | undefined {
  const wanted = bigQueryType(column.type);
  const wantedBase = baseType(wanted);
  const targetBase = baseType(target.type);
  const from = describeTarget(target);
  const refused = `"${column.source}" changed from ${from} to ${column.sourceType} (${wanted})`;
  if (column.type.kind !== 'decimal') return wantedBase === targetBase ? undefined : refused;
  if (targetBase !== 'NUMERIC' && targetBase !== 'BIGNUMERIC') return refused;
  // An unparameterized NUMERIC is (38,9) and BIGNUMERIC (76.76,38): scale 9 and 38.
  const targetScale = target.scale ?? (targetBase === 'NUMERIC' ? NUMERIC_MAX_SCALE : BIGNUMERIC_MAX_SCALE);
  const targetInteger =
    target.precision !== undefined
      ? target.precision - targetScale
      : targetBase === 'NUMERIC'
        ? NUMERIC_MAX_INTEGER_DIGITS
        : BIGNUMERIC_MAX_INTEGER_DIGITS;
  const { precision, scale } = column.type;
  if (scale === targetScale && precision - scale <= targetInteger) return undefined;
  if (scale < targetScale && precision - scale <= targetInteger) return undefined;
  if (scale !== targetScale)
    return `${refused}: BigQuery cannot change a decimal's scale in place (from ${targetScale} to ${scale})`;
  return { kind: 'widen', column, from };
}

/**
 * Source columns against the target's: new columns are added (NULLABLE), decimals widened where BigQuery
 * allows, REQUIRED relaxed to NULLABLE where the source allows NULL now, columns the source dropped kept
 * (NULL from now on); anything else is refused with the change named. Names compare case-insensitively.
 */
export function diffSchema(source: ColumnPlan[], target: TargetColumn[]): SchemaDiff {
  return diffColumns(source, target, foldColumnName, typeChange);
}

/** One line per change for the run summary. */
export function describeChange(change: SchemaChange): string {
  return describeSchemaChange(change, bigQueryType);
}

export const bigQueryCapabilities: DestinationCapabilities = {
  type: 'bigquery',
  displayName: 'BigQuery',
  columnType: bigQueryType,
  limits: bigQueryLimits,
  // A client holds its access token; keeping it saves a token exchange per activity.
  keepSessionsBetweenActivities: true,
  // BigQuery's CSV loads read gzip only.
  codecs: ['gzip'],
  /**
   * Dataset and table names are case-sensitive, so names are their own key. Column names are not, which
   * one key cannot say for both: createTable refuses columns that differ only in case (session.ts).
   */
  identifierKey: (name) => name,
  runObjectNames,
  diffSchema,
  describeChange,
};
