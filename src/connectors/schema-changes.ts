/**
 * What every destination's schema diff shares: columns the source dropped are kept (NULL from then on,
 * and nullable if they were NOT NULL), and one summary line per change, in the destination's type names.
 */
import type { ColumnKind, ColumnPlan } from '../shared';
import type { SchemaChange, TargetColumn } from './destination';

/** Target columns no source column maps to; `key` compares names as the destination does. */
export function sourceDroppedChanges(
  source: ColumnPlan[],
  target: TargetColumn[],
  key: (name: string) => string,
): SchemaChange[] {
  const sourceNames = new Set(source.map((c) => key(c.target)));
  return target.flatMap((existing): SchemaChange[] => {
    if (sourceNames.has(key(existing.name))) return [];
    const dropped: SchemaChange = { kind: 'source-dropped', column: existing.name };
    return existing.nullable
      ? [dropped]
      : [dropped, { kind: 'drop-not-null', column: existing.name, reason: 'dropped from the source' }];
  });
}

/** One line per change for the run summary. */
export function describeSchemaChange(change: SchemaChange, columnType: (kind: ColumnKind) => string): string {
  switch (change.kind) {
    case 'add':
      return `added column "${change.column.target}" ${columnType(change.column.type)}`;
    case 'widen':
      return `widened "${change.column.target}" from ${change.from} to ${columnType(change.column.type)}`;
    case 'drop-not-null':
      return `"${change.column}" may be NULL now (${change.reason})`;
    case 'source-dropped':
      return `"${change.column}" is no longer in the source: kept, NULL in rows written from now on`;
  }
}
