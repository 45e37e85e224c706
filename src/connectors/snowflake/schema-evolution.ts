/**
 * Schema evolution of an incremental target between runs: what the source's columns need from the
 * target's. New columns are added, VARCHAR lengths and NUMBER precisions widened, columns the
 * source dropped are kept (nullable, NULL from now on); anything else cannot be changed in place.
 */
import type { ColumnPlan } from '../../shared';
import type { SchemaChange, SchemaDiff, TargetColumn } from '../destination';
import { describeSchemaChange, sourceDroppedChanges } from '../schema-changes';
import { snowflakeType } from './dialect';
import { DEFAULT_VARCHAR_LENGTH, MAX_VARCHAR_BYTES } from './limits';

/** DATA_TYPE reported for each column kind (semi-structured types are one family). */
function family(type: string): string {
  const upper = type.toUpperCase();
  if (['TEXT', 'VARCHAR', 'STRING'].includes(upper)) return 'TEXT';
  if (['VARIANT', 'ARRAY', 'OBJECT'].includes(upper)) return 'SEMI';
  if (['NUMBER', 'DECIMAL', 'NUMERIC'].includes(upper)) return 'NUMBER';
  return upper;
}

function expectedFamily(column: ColumnPlan): string {
  return family(snowflakeType(column.type).replace(/\(.*$/, ''));
}

function describe(target: TargetColumn): string {
  if (family(target.type) === 'TEXT') return `VARCHAR(${target.length ?? DEFAULT_VARCHAR_LENGTH})`;
  if (family(target.type) === 'NUMBER') return `NUMBER(${target.precision},${target.scale})`;
  return target.type;
}

export function diffSchema(source: ColumnPlan[], target: TargetColumn[]): SchemaDiff {
  const changes: SchemaChange[] = [];
  const incompatible: string[] = [];
  const byName = new Map(target.map((t) => [t.name, t]));
  for (const column of source) {
    const existing = byName.get(column.target);
    if (!existing) {
      changes.push({ kind: 'add', column });
      continue;
    }
    const wanted = snowflakeType(column.type);
    const from = describe(existing);
    if (expectedFamily(column) !== family(existing.type)) {
      incompatible.push(`"${column.source}" changed from ${from} to ${column.sourceType} (${wanted})`);
      continue;
    }
    // Unbounded text is VARCHAR(134217728) now; a target made as VARCHAR (16,777,216) is widened to it.
    const length = existing.length ?? DEFAULT_VARCHAR_LENGTH;
    if (column.type.kind === 'text' && (column.type.maxLength ?? MAX_VARCHAR_BYTES) > length) {
      changes.push({ kind: 'widen', column, from });
    } else if (column.type.kind === 'integer' || column.type.kind === 'decimal') {
      const [precision, scale] = wanted.match(/\d+/g)?.map(Number) ?? [];
      if (scale !== existing.scale)
        incompatible.push(
          `"${column.source}" changed scale: ${from} to ${wanted} (Snowflake cannot change a NUMBER's scale)`,
        );
      else if (precision !== undefined && precision > (existing.precision ?? 38))
        changes.push({ kind: 'widen', column, from });
    }
    if (column.nullable && !existing.nullable)
      changes.push({ kind: 'drop-not-null', column: column.target, reason: 'nullable in the source now' });
  }
  // Quoted names are exact in Snowflake.
  changes.push(...sourceDroppedChanges(source, target, (name) => name));
  return { changes, incompatible };
}

/** One line per change for the run summary. */
export function describeChange(change: SchemaChange): string {
  return describeSchemaChange(change, snowflakeType);
}
