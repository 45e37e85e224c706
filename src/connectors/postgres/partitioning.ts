import type { Client } from 'pg';
import type { PartitionRange, Partitioning, QualifiedName } from '../../shared';
import { quoteIdent, quoteTable } from './sql';

export interface PartitionPlan {
  partitioning: Partitioning;
  rows: number;
}

/**
 * Splits a table into partitions of about `partitionRows` rows.
 *
 * With an integer key the bounds are every n-th key in key order, so sparse or skewed keys still give
 * partitions of equal row count (one ordered pass over the primary key index). Without one, the
 * table's pages are split evenly and read with TID range scans.
 */
export async function planPartitions(client: Client, table: QualifiedName, integerKey: string | undefined, partitionRows: number): Promise<PartitionPlan> {
  const relation = quoteTable(table.schema, table.name);
  const { rows: countRows } = await client.query<{ count: string }>(`SELECT count(*) AS count FROM ${relation}`);
  const rows = Number(countRows[0].count);
  const partitions = Math.max(1, Math.ceil(rows / partitionRows));

  if (integerKey !== undefined) {
    if (partitions === 1) return { rows, partitioning: { strategy: 'key', column: integerKey, bounds: [] } };
    const step = Math.ceil(rows / partitions);
    const key = quoteIdent(integerKey);
    const { rows: boundRows } = await client.query<{ bound: string }>(
      `SELECT k::text AS bound FROM (
         SELECT ${key} AS k, row_number() OVER (ORDER BY ${key}) AS rn FROM ${relation}
       ) ordered WHERE rn > 1 AND (rn - 1) % $1 = 0 ORDER BY k`,
      [step],
    );
    return { rows, partitioning: { strategy: 'key', column: integerKey, bounds: boundRows.map((r) => r.bound) } };
  }

  const { rows: pageRows } = await client.query<{ pages: string }>(
    `SELECT (pg_relation_size($1::regclass) / current_setting('block_size')::int) AS pages`,
    [relation],
  );
  const pages = Number(pageRows[0].pages);
  const count = Math.min(partitions, Math.max(pages, 1));
  const pagesPerPartition = Math.ceil(pages / count);
  const bounds: number[] = [];
  for (let page = pagesPerPartition; page < pages && bounds.length < count - 1; page += pagesPerPartition) bounds.push(page);
  return { rows, partitioning: { strategy: 'ctid', bounds } };
}

/** The WHERE clause that selects one partition's rows; bounds are typed values, quoted here. */
export function rangePredicate(range: PartitionRange): string {
  const parts: string[] = [];
  if (range.strategy === 'key') {
    const key = quoteIdent(range.column);
    if (range.from !== undefined) parts.push(`${key} >= ${integerLiteral(range.from)}`);
    if (range.to !== undefined) parts.push(`${key} < ${integerLiteral(range.to)}`);
  } else {
    if (range.from !== undefined) parts.push(`ctid >= '(${pageNumber(range.from)},0)'::tid`);
    if (range.to !== undefined) parts.push(`ctid < '(${pageNumber(range.to)},0)'::tid`);
  }
  return parts.length === 0 ? 'true' : parts.join(' AND ');
}

function integerLiteral(value: string): string {
  if (!/^-?\d{1,19}$/.test(value)) throw new Error(`partition bound is not an integer: ${JSON.stringify(value)}`);
  return value;
}

function pageNumber(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`partition bound is not a page number: ${value}`);
  return value;
}
