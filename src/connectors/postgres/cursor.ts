/**
 * The cursor of an incremental table in PostgreSQL: its high-water mark when a run is planned and
 * the predicate that selects a run's window of rows. Values travel as text and are cast back to the
 * column's own type, so comparisons are exact (no float or time-zone rounding). Late-committing
 * transactions are caught by transaction IDs, not by guessing a look-back: docs/consistency.md.
 */
import type { Client } from 'pg';
import type { CursorWindow, QualifiedName } from '../../shared';
import { quoteIdent, quoteLiteral, quoteTable } from './sql';

/** What a run's prepare reads in ONE snapshot: the cursor's high-water and who was still writing. */
export interface HighWater {
  /** The largest cursor value, as PostgreSQL prints it; undefined when every row's cursor is NULL. */
  high?: string;
  /** xid8 of the oldest transaction in progress (every older one had ended): decimal text. */
  xmin: string;
  /** xid8 of the next transaction to start: decimal text. */
  xmax: string;
}

/**
 * The high-water and the snapshot's bounds come from one statement of one REPEATABLE READ
 * transaction: every row that snapshot shows has a cursor up to `high`, and every row it hides was
 * written by a transaction from `xmin` on.
 */
export async function readHighWater(client: Client, table: QualifiedName, column: string): Promise<HighWater> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const { rows } = await client.query<{ high: string | null; xmin: string; xmax: string }>(
      `SELECT max(${quoteIdent(column)})::text AS high, pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, ` +
        `pg_snapshot_xmax(pg_current_snapshot())::text AS xmax FROM ${quoteTable(table.schema, table.name)}`,
    );
    const row = rows.at(0);
    if (!row) throw new Error('the high-water query returned no row');
    return { ...(row.high === null ? {} : { high: row.high }), xmin: row.xmin, xmax: row.xmax };
  } finally {
    await client.query('COMMIT');
  }
}

/** `low - lookback`: a number for numeric cursors, an interval for dates and timestamps. */
function lowerBound(window: CursorWindow, low: string): string {
  const value = `${quoteLiteral(low)}::${window.sourceType}`;
  if (!window.lookback) return value;
  return /^\d+$/.test(window.lookback)
    ? `(${value} - ${window.lookback})`
    : `(${value} - interval ${quoteLiteral(window.lookback)})`;
}

/** The reading statement's own next xid8: every row it can see was written below it. */
const NEXT_XID = '(SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint)';

/**
 * Rows whose version was written by transaction `xid` (an xid8) or a later one. A row's `xmin` is
 * a 32-bit xid: its distance below the statement's next xid8, taken modulo 2^32, is exact for every
 * row that is not frozen. 0-2 are permanent xids (frozen before 9.4, bootstrap): old rows, never late.
 */
export function writtenSince(xid: string): string {
  if (!/^\d+$/.test(xid)) throw new Error(`not a transaction ID: ${xid}`);
  const raw = 'xmin::text::bigint';
  return `(${raw} > 2 AND ((${NEXT_XID} - ${raw}) & 4294967295) <= ${NEXT_XID} - ${xid})`;
}

/**
 * The rows of a window: cursor in [low - lookback, high] (the committed value itself included:
 * rows tied with it may have arrived since), or written by a transaction that was still in progress
 * or not yet started when the committed cursor was read (`xidFrom`), whatever their cursor, up to
 * high. Without a low bound the window starts at the beginning and also holds rows whose cursor is
 * NULL (a full load); without a high bound only those.
 */
export function windowPredicate(window: CursorWindow): string {
  const c = quoteIdent(window.column);
  const parts: string[] = [];
  if (window.low !== undefined) {
    const since = `${c} >= ${lowerBound(window, window.low)}`;
    parts.push(window.xidFrom === undefined ? since : `(${since} OR ${writtenSince(window.xidFrom)})`);
  }
  const upTo = window.high === undefined ? 'false' : `${c} <= ${quoteLiteral(window.high)}::${window.sourceType}`;
  parts.push(window.low === undefined ? `(${upTo} OR ${c} IS NULL)` : upTo);
  return parts.join(' AND ');
}
