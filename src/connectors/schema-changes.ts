/**
 * What every destination's schema diff shares: columns the source dropped are kept (NULL from then on,
 * and nullable if they were NOT NULL), and one summary line per change, in the destination's type names.
 */
import type { ColumnKind, ColumnPlan } from '../shared';
import type { SchemaChange, SchemaDiff, TargetColumn } from './destination';

/** What a source column's type needs of its existing target column: a change, a refusal (its message), or nothing. */
export type TypeChange = (column: ColumnPlan, existing: TargetColumn) => SchemaChange | string | undefined;

/**
 * Source columns against the target's, names compared by `key`: new columns are added, `typeChange` decides
 * each column both have, NOT NULL is dropped where the source allows NULL now, and dropped columns are kept.
 */
export function diffColumns(
  source: ColumnPlan[],
  target: TargetColumn[],
  key: (name: string) => string,
  typeChange: TypeChange,
): SchemaDiff {
  const changes: SchemaChange[] = [];
  const incompatible: string[] = [];
  const byName = new Map(target.map((t) => [key(t.name), t]));
  for (const column of source) {
    const existing = byName.get(key(column.target));
    if (!existing) {
      changes.push({ kind: 'add', column });
      continue;
    }
    const change = typeChange(column, existing);
    if (typeof change === 'string') {
      incompatible.push(change);
      continue;
    }
    if (change) changes.push(change);
    if (column.nullable && !existing.nullable)
      changes.push({ kind: 'drop-not-null', column: existing.name, reason: 'nullable in the source now' });
  }
  changes.push(...sourceDroppedChanges(source, target, key));
  return { changes, incompatible };
}

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
