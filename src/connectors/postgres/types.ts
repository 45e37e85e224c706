import type { ColumnKind } from '../../shared';
import { quoteIdent } from './sql';

/** A column's type as the catalog describes it, domains already resolved to their base type. */
export interface PgColumnType {
  /** Base type name from pg_type.typname (`int4`, `numeric`, `_text` for arrays…). */
  typname: string;
  /** pg_type.typtype: 'b' base, 'e' enum, 'r' range, 'c' composite… */
  typtype: string;
  /** pg_type.typcategory: 'A' for arrays. */
  typcategory: string;
  typmod: number;
  /** Element type name for arrays. */
  elementTypname?: string;
}

const TEXT_TYPES = new Set([
  'text',
  'varchar',
  'bpchar',
  'name',
  'citext',
  'inet',
  'cidr',
  'macaddr',
  'macaddr8',
  'xml',
  'timetz',
]);
/** Element types an array may have and still be sent as JSON. */
const ARRAY_ELEMENTS = new Set([
  'int2',
  'int4',
  'int8',
  'numeric',
  'float4',
  'float8',
  'bool',
  'text',
  'varchar',
  'bpchar',
  'uuid',
  'date',
  'timestamp',
  'timestamptz',
  'json',
  'jsonb',
]);

/** Maps a PostgreSQL type to the neutral column kind; undefined when Conduit cannot carry it exactly. */
export function classifyPgType(type: PgColumnType): ColumnKind | undefined {
  if (type.typcategory === 'A') {
    return type.elementTypname && ARRAY_ELEMENTS.has(type.elementTypname) ? { kind: 'array' } : undefined;
  }
  if (type.typtype === 'e') return { kind: 'text' };
  switch (type.typname) {
    case 'int2':
      return { kind: 'integer', bytes: 2 };
    case 'int4':
      return { kind: 'integer', bytes: 4 };
    case 'int8':
      return { kind: 'integer', bytes: 8 };
    case 'numeric':
      return numericKind(type.typmod);
    case 'money':
      return { kind: 'decimal', precision: 19, scale: 2 };
    case 'float4':
      return { kind: 'float', bytes: 4 };
    case 'float8':
      return { kind: 'float', bytes: 8 };
    case 'bool':
      return { kind: 'boolean' };
    case 'varchar':
      return type.typmod > 4 ? { kind: 'text', maxLength: type.typmod - 4 } : { kind: 'text' };
    case 'bpchar':
      return { kind: 'text', maxLength: Math.max(type.typmod - 4, 1), fixedLength: true };
    case 'date':
      return { kind: 'date' };
    case 'time':
      return { kind: 'time' };
    case 'timestamp':
      return { kind: 'timestamp' };
    case 'timestamptz':
      return { kind: 'timestamptz' };
    case 'interval':
      return { kind: 'interval' };
    case 'uuid':
      return { kind: 'uuid' };
    case 'json':
    case 'jsonb':
      return { kind: 'json' };
    case 'bytea':
      return { kind: 'binary' };
    default:
      return TEXT_TYPES.has(type.typname) ? { kind: 'text' } : undefined;
  }
}

/**
 * numeric(p,s) keeps its precision and scale; unconstrained numeric is marked with precision 0 and
 * sized from the data when the table is prepared.
 */
function numericKind(typmod: number): ColumnKind {
  if (typmod < 4) return { kind: 'decimal', precision: 0, scale: 0 };
  const precision = ((typmod - 4) >> 16) & 0xffff;
  // PostgreSQL 15+ keeps the scale as an 11-bit signed number (-1000 to 1000): numeric_typmod_scale()
  const scale = (((typmod - 4) & 0x7ff) ^ 1024) - 1024;
  return { kind: 'decimal', precision, scale };
}

/**
 * PostgreSQL's json keeps duplicate keys, which Snowflake's strict PARSE_JSON refuses (aborting the
 * whole COPY): through jsonb each key keeps its last value. jsonb refuses \u0000 and lone surrogate
 * escapes, so a document with such an escape goes as written. See docs/type-mapping.md, "JSON".
 */
function lastKeyWins(column: string, viaJsonb: string, asWritten: string): string {
  // chr(92) is a backslash: the pattern \\u(0000|d[89a-f]), whatever standard_conforming_strings says
  const escape = `repeat(chr(92), 2) || 'u(0000|d[89a-f])'`;
  return `CASE WHEN ${column}::text ~* (${escape}) THEN ${asWritten} ELSE ${viaJsonb} END`;
}

/**
 * The SELECT expression that makes PostgreSQL write the value as the load side reads it. Values are
 * shaped here, in the database, because per-row JavaScript is an order of magnitude slower than
 * PostgreSQL's own CSV output.
 */
export function extractExpression(column: string, kind: ColumnKind, sourceTypname: string): string {
  const c = quoteIdent(column);
  switch (kind.kind) {
    case 'float':
      // Snowflake spells infinities 'inf'/'-inf'; PostgreSQL writes 'Infinity'/'-Infinity'.
      return `CASE WHEN ${c} = 'Infinity' THEN 'inf' WHEN ${c} = '-Infinity' THEN '-inf' ELSE ${c}::text END`;
    case 'decimal':
      return sourceTypname === 'money' ? `${c}::numeric` : c;
    case 'timestamptz':
      // ISO 8601 with an explicit offset, which Snowflake parses without a format string.
      return `to_json(${c}) #>> '{}'`;
    case 'json':
      return sourceTypname === 'json' ? lastKeyWins(c, `${c}::jsonb::text`, `${c}::text`) : c;
    case 'array':
      return sourceTypname === '_json'
        ? lastKeyWins(c, `to_jsonb(${c})::text`, `to_json(${c})::text`)
        : `to_json(${c})`;
    case 'binary':
      return `encode(${c}, 'hex')`;
    default:
      return c;
  }
}
