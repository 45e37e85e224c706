/**
 * Values PostgreSQL holds that the destination column cannot, by the destination's declared limits
 * (Snowflake: `infinity` and dates outside years 1–9999, `24:00:00`, numbers that do not fit the
 * column's NUMBER(38,s), text over 128 MB and binary over 64 MB); numeric NaN everywhere. Each column
 * with such a possibility gets a SQL condition; the extract applies the pipeline's policy to matching
 * values and counts them.
 */
import type { ValueLimits } from '../destination';
import type { ColumnPlan } from '../../shared';
import { quoteIdent } from './sql';

/** A human size for messages and docs: 128 MB, 64 MB. */
export function megabytes(bytes: number): string {
  return `${bytes / (1024 * 1024)} MB`;
}

const CHARACTER_TYPES = new Set(['text', 'varchar', 'bpchar', 'citext']);
/** Types carried as text whose text form has no small bound (a point's has; a polygon's has not). */
const UNBOUNDED_TEXT = new Set([
  ...CHARACTER_TYPES,
  'xml',
  'bit',
  'varbit',
  'path',
  'polygon',
  'tsvector',
  'tsquery',
  'txid_snapshot',
  'pg_snapshot',
  'jsonpath',
  'ltree',
  'lquery',
  'ltxtquery',
]);

export interface EdgeRule {
  /** PostgreSQL boolean expression, true for a value the destination cannot hold. */
  condition: string;
  /** What such values are, for messages and the run summary. */
  description: string;
}

/** The rule for a planned column, or undefined when every source value fits its destination type. */
export function edgeRule(column: ColumnPlan, limits: ValueLimits): EdgeRule | undefined {
  const c = quoteIdent(column.source);
  const type = column.type;
  const years = limits.dateRange === 'years-1-9999';
  switch (type.kind) {
    case 'date':
      if (!years) return undefined;
      return {
        condition: `NOT (${c} BETWEEN '0001-01-01' AND '9999-12-31')`,
        description: 'dates outside years 1–9999 (including ±infinity and BC)',
      };
    case 'timestamp':
      if (!years) return undefined;
      return {
        condition: `NOT (${c} BETWEEN '0001-01-01' AND '9999-12-31 23:59:59.999999')`,
        description: 'timestamps outside years 1–9999 (including ±infinity and BC)',
      };
    case 'timestamptz':
      if (!years) return undefined;
      return {
        condition: `NOT (${c} BETWEEN '0001-01-01 00:00:00+00' AND '9999-12-31 23:59:59.999999+00')`,
        description: 'timestamps outside years 1–9999 (including ±infinity and BC)',
      };
    case 'time':
      if (limits.time2400) return undefined;
      return { condition: `${c} = '24:00:00'`, description: "the time '24:00:00'" };
    case 'decimal': {
      if (column.sourceTypname !== 'numeric') return undefined;
      const parts = [`${c} = 'NaN'`];
      // Only a column whose NUMBER is narrower than its declared type can overflow or carry extra fraction.
      if (column.sizedFromData) {
        parts.push(`abs(${c}) >= 1e${type.precision - type.scale}`, `${c} <> round(${c}, ${type.scale})`);
      }
      return {
        condition: parts.join(' OR '),
        description: column.sizedFromData
          ? `NaN or numbers that do not fit precision ${type.precision}, scale ${type.scale}`
          : 'NaN',
      };
    }
    case 'text': {
      const max = limits.maxTextBytes;
      if (max === undefined || (type.maxLength !== undefined && type.maxLength * 4 <= max)) return undefined;
      if (!column.chosenAsText && !UNBOUNDED_TEXT.has(column.sourceTypname)) return undefined;
      // Other types (xml, tsvector…) have no octet_length of their own: their text form is measured.
      const text = CHARACTER_TYPES.has(column.sourceTypname) ? c : `${c}::text`;
      return { condition: `octet_length(${text}) > ${max}`, description: `text longer than ${megabytes(max)}` };
    }
    case 'binary': {
      const max = limits.maxBinaryBytes;
      if (max === undefined) return undefined;
      return { condition: `octet_length(${c}) > ${max}`, description: `binary values longer than ${megabytes(max)}` };
    }
    default:
      return undefined;
  }
}

/** Name of the transaction-local setting that counts one column's edge values during a COPY. */
export function edgeCounterName(index: number): string {
  return `conduit.edges_${index}`;
}

/**
 * Wraps a column's extract expression: a matching value becomes NULL and bumps a transaction-local
 * counter (set_config runs only for matching rows, so ordinary rows pay one comparison).
 */
export function guardedExpression(expression: string, rule: EdgeRule, index: number): string {
  const counter = `'${edgeCounterName(index)}'`;
  const bump =
    `set_config(${counter}, ` +
    `(coalesce(nullif(current_setting(${counter}, true), ''), '0')::bigint + 1)::text, true)`;
  return `CASE WHEN ${rule.condition} THEN (CASE WHEN ${bump} IS NULL THEN NULL END) ELSE (${expression})::text END`;
}
