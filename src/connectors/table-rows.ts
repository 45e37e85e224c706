/**
 * What the embedded and warehouse sessions share about rows and names: a state table row read back as a
 * CursorState, and the refusal of two columns a destination would take for one.
 */
import { FailureType } from '../failure-types';
import type { ColumnPlan, QualifiedName } from '../shared';
import type { CursorState } from './destination';
import { PermanentError } from './errors';

/** A state row as every destination's SQL names its columns; `text` renders the driver's values. */
export function cursorStateFrom<V>(row: Record<string, V>, text: (value: V | undefined) => string | null): CursorState {
  return {
    table: text(row.table) ?? '',
    source: text(row.source) ?? '',
    mode: text(row.mode) ?? '',
    cursor: text(row.cursor),
    marker: text(row.marker) ?? '',
    updated: text(row.updated) ?? '',
    snapshotXmin: text(row.snapshotXmin),
  };
}

/**
 * Refuses columns whose names `fold` makes one (PostgreSQL's "Id" and "id" where column names ignore case);
 * `quote` spells a name for the message.
 */
export function checkDistinctColumns(
  table: QualifiedName,
  columns: ColumnPlan[],
  fold: (name: string) => string,
  destination: string,
  quote: (name: string) => string,
): void {
  const seen = new Map<string, string>();
  for (const column of columns) {
    const folded = fold(column.target);
    const earlier = seen.get(folded);
    if (earlier !== undefined) {
      throw new PermanentError(
        `columns ${quote(earlier)} and ${quote(column.target)} of ${table.schema}.${table.name} are one ` +
          `column in ${destination}, whose column names ignore case: rename one in the source or exclude the table`,
        FailureType.TargetCollision,
      );
    }
    seen.set(folded, column.target);
  }
}
