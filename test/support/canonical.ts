/**
 * Canonical text for values on both sides of a load, so integration tests compare content exactly:
 * PostgreSQL renders each value in SQL, Snowflake's values (read through snowflake-sdk) are rendered
 * in JavaScript, and the two strings must be equal. Timestamps compare as epoch microseconds, dates
 * as epoch days, floats as numbers, JSON with sorted keys.
 */
import { quoteIdent } from '../../src/connectors/postgres/sql';
import { extractExpression } from '../../src/connectors/postgres/types';
import { valueText } from '../../src/connectors/snowflake/connection';
import type { ColumnKind, SourceType } from '../../src/shared';

/** What the catalog says of a column besides its kind (catalog.ts). */
export interface CanonicalSource {
  typname: string;
  structure?: SourceType;
}

/**
 * The PostgreSQL expression that renders a column canonically. Ranges, composites, hstore and arrays of
 * elements to_json() does not write in their mapped form have no JSON of their own: they render as the
 * extract shapes them, and the type matrix checks those shapes against values written out by hand.
 */
export function canonicalPgExpression(column: string, kind: ColumnKind['kind'], source?: CanonicalSource): string {
  const c = quoteIdent(column);
  if ((kind === 'json' || kind === 'array') && source && (source.structure || source.typname === 'hstore')) {
    return `(${extractExpression(column, { kind }, source.typname, source.structure)})::text`;
  }
  switch (kind) {
    case 'date':
      return `(${c} - date '1970-01-01')::text`;
    case 'timestamp':
    case 'timestamptz':
      return `(extract(epoch from ${c}) * 1000000)::numeric(30,0)::text`;
    case 'time':
      return `to_char(date '2000-01-01' + ${c}, 'HH24:MI:SS.US')`;
    case 'decimal':
      // xid8 has no cast to numeric; its text is its decimal value.
      return source?.typname === 'xid8' ? `${c}::text` : `${c}::numeric::text`;
    case 'text':
      // The output function keeps char(n)'s padding, which is what the extract writes; ::text would trim it.
      return `CASE WHEN ${c} IS NULL THEN NULL ELSE format('%s', ${c}) END`;
    case 'binary':
      return `encode(${c}, 'hex')`;
    case 'json':
    case 'array':
      return `to_json(${c})::text`;
    default:
      return `${c}::text`;
  }
}

interface SnowflakeTimestamp {
  getEpochSeconds(): number;
  getNanoSeconds(): number;
}

/** Renders a value read through snowflake-sdk (numbers, booleans, binary, JSON fetched as strings). */
export function canonicalSnowflakeValue(value: unknown, kind: ColumnKind['kind']): string | null {
  const text = valueText(value);
  if (text === null) return null;
  switch (kind) {
    case 'float':
      return canonicalFloat(text);
    case 'boolean':
      return ['true', '1'].includes(text.toLowerCase()) ? 'true' : 'false';
    case 'date':
      return String(Math.round(asTimestamp(value).getEpochSeconds() / 86400));
    case 'decimal':
      return canonicalDecimal(text);
    case 'time':
      return text;
    case 'timestamp':
    case 'timestamptz': {
      const ts = asTimestamp(value);
      return (BigInt(ts.getEpochSeconds()) * 1_000_000n + BigInt(Math.round(ts.getNanoSeconds() / 1000))).toString();
    }
    case 'binary':
      return text.toLowerCase();
    case 'json':
    case 'array':
      return canonicalJson(text);
    default:
      return text;
  }
}

/** The same rendering applied to PostgreSQL's canonical text where JavaScript must finish the job. */
export function finishPgValue(value: string | null, kind: ColumnKind['kind']): string | null {
  if (value === null) return null;
  if (kind === 'float') return canonicalFloat(value);
  if (kind === 'decimal') return canonicalDecimal(value);
  if (kind === 'json' || kind === 'array') return canonicalJson(value);
  return value;
}

function canonicalFloat(text: string): string {
  const spelled: Record<string, number> = {
    inf: Infinity,
    '-inf': -Infinity,
    infinity: Infinity,
    '-infinity': -Infinity,
    nan: NaN,
  };
  const number = spelled[text.toLowerCase()] ?? Number(text);
  return Object.is(number, -0) ? '-0' : String(number);
}

/** Trailing fraction zeros differ with the column's scale (1.5 in NUMBER(38,3) reads back 1.500). */
function canonicalDecimal(text: string): string {
  if (!/^-?\d+\.\d+$/.test(text)) return text;
  const trimmed = text.replace(/0+$/, '').replace(/\.$/, '');
  return trimmed === '-0' ? '0' : trimmed;
}

/** JSON text with every object's keys sorted: equal values compare equal as strings. */
export function canonicalJson(text: string): string {
  return JSON.stringify(sortKeys(JSON.parse(text)));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

function asTimestamp(value: unknown): SnowflakeTimestamp {
  const candidate = value as Partial<SnowflakeTimestamp>;
  if (typeof candidate.getEpochSeconds !== 'function' || typeof candidate.getNanoSeconds !== 'function') {
    throw new Error(`expected a snowflake-sdk date/time value, got ${JSON.stringify(value)}`);
  }
  return candidate as SnowflakeTimestamp;
}
