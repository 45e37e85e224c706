/**
 * Values PostgreSQL holds that the destination column cannot: `infinity` and dates outside years
 * 1–9999, `24:00:00`, numeric NaN or numbers that do not fit the column's NUMBER(38,s), text over
 * 128 MB and binary over 64 MB (limits in ../snowflake/limits.ts). Each column with such a
 * possibility gets a SQL condition; the extract applies the pipeline's policy to matching values
 * and counts them.
 */
import type { ColumnPlan } from '../../shared';
import { MAX_BINARY_BYTES, MAX_NUMBER_PRECISION, MAX_VARCHAR_BYTES, megabytes } from '../snowflake/limits';
import { quoteIdent } from './sql';

export interface EdgeRule {
  /** PostgreSQL boolean expression, true for a value the destination cannot hold. */
  condition: string;
  /** What such values are, for messages and the run summary. */
  description: string;
}

/** The rule for a planned column, or undefined when every source value fits its destination type. */
export function edgeRule(column: ColumnPlan): EdgeRule | undefined {
  const c = quoteIdent(column.source);
  const type = column.type;
  switch (type.kind) {
    case 'date':
      return {
        condition: `NOT (${c} BETWEEN '0001-01-01' AND '9999-12-31')`,
        description: 'dates outside years 1–9999 (including ±infinity and BC)',
      };
    case 'timestamp':
      return {
        condition: `NOT (${c} BETWEEN '0001-01-01' AND '9999-12-31 23:59:59.999999')`,
        description: 'timestamps outside years 1–9999 (including ±infinity and BC)',
      };
    case 'timestamptz':
      return {
        condition: `NOT (${c} BETWEEN '0001-01-01 00:00:00+00' AND '9999-12-31 23:59:59.999999+00')`,
        description: 'timestamps outside years 1–9999 (including ±infinity and BC)',
      };
    case 'time':
      return { condition: `${c} = '24:00:00'`, description: "the time '24:00:00'" };
    case 'decimal': {
      if (column.sourceTypname !== 'numeric') return undefined;
      const parts = [`${c} = 'NaN'`];
      // Only a column whose NUMBER is narrower than its declared type can overflow or carry extra fraction.
      if (column.sizedFromData) {
        parts.push(`abs(${c}) >= 1e${MAX_NUMBER_PRECISION - type.scale}`, `${c} <> round(${c}, ${type.scale})`);
      }
      return {
        condition: parts.join(' OR '),
        description: column.sizedFromData
          ? `NaN or numbers that do not fit NUMBER(${type.precision},${type.scale})`
          : 'NaN',
      };
    }
    case 'text':
      if (type.maxLength !== undefined && type.maxLength * 4 <= MAX_VARCHAR_BYTES) return undefined;
      if (!['text', 'varchar', 'bpchar', 'citext', 'xml'].includes(column.sourceTypname)) return undefined;
      return {
        condition: `octet_length(${c}) > ${MAX_VARCHAR_BYTES}`,
        description: `text longer than ${megabytes(MAX_VARCHAR_BYTES)}`,
      };
    case 'binary':
      return {
        condition: `octet_length(${c}) > ${MAX_BINARY_BYTES}`,
        description: `binary values longer than ${megabytes(MAX_BINARY_BYTES)}`,
      };
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
