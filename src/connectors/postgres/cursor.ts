/**
 * The cursor of an incremental table in PostgreSQL: its high-water mark when a run is planned and
 * the predicate that selects a run's window of rows. Values travel as text and are cast back to the
 * column's own type, so comparisons are exact (no float or time-zone rounding).
 */
import type { Client } from 'pg';
import type { CursorWindow, QualifiedName } from '../../shared';
import { quoteIdent, quoteLiteral, quoteTable } from './sql';

/** The largest cursor value now, as PostgreSQL prints it; undefined when every row's cursor is NULL. */
export async function maxCursor(client: Client, table: QualifiedName, column: string): Promise<string | undefined> {
  const { rows } = await client.query<{ high: string | null }>(
    `SELECT max(${quoteIdent(column)})::text AS high FROM ${quoteTable(table.schema, table.name)}`,
  );
  return rows[0]?.high ?? undefined;
}

/** `low - lookback`: a number for numeric cursors, an interval for dates and timestamps. */
function lowerBound(window: CursorWindow, low: string): string {
  const value = `${quoteLiteral(low)}::${window.sourceType}`;
  if (!window.lookback) return value;
  return /^\d+$/.test(window.lookback)
    ? `(${value} - ${window.lookback})`
    : `(${value} - interval ${quoteLiteral(window.lookback)})`;
}

/**
 * The rows of a window: cursor in (low - lookback, high]. Without a low bound the window starts at
 * the beginning and also holds rows whose cursor is NULL (a full load); without a high bound only
 * those.
 */
export function windowPredicate(window: CursorWindow): string {
  const c = quoteIdent(window.column);
  const parts: string[] = [];
  if (window.low !== undefined) parts.push(`${c} > ${lowerBound(window, window.low)}`);
  const upTo = window.high === undefined ? 'false' : `${c} <= ${quoteLiteral(window.high)}::${window.sourceType}`;
  parts.push(window.low === undefined ? `(${upTo} OR ${c} IS NULL)` : upTo);
  return parts.join(' AND ');
}
