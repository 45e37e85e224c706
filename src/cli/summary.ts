import type { RunProgress } from '../client';
import type { PipelineRunResult, TableResult } from '../shared';
import { known } from '../invariant';
import { rowsText } from './progress';

/**
 * The end-of-run table: rows, seconds, rows/s and warehouse seconds (the table's statements, what its credits follow)
 * per table, and the failures' causes.
 */
export function formatSummary(result: PipelineRunResult): string {
  const header = ['table', 'target', 'status', 'rows', 'partitions', 'seconds', 'rows/s', 'warehouse s'];
  const rows = result.tables.map((t) => [
    t.source,
    t.target,
    t.status,
    t.rows.toLocaleString('en-US'),
    String(t.partitions),
    t.seconds.toFixed(1),
    rate(t),
    t.warehouseSeconds === undefined ? '-' : t.warehouseSeconds.toFixed(2),
  ]);
  const total = result.tables.reduce((sum, t) => sum + t.rows, 0);
  const lines = table([header, ...rows]);
  lines.push(`pipeline ${result.pipeline}: ${total.toLocaleString('en-US')} rows in ${result.seconds.toFixed(1)} s`);
  for (const t of result.tables) {
    if (t.unrepresentable) {
      const counts = Object.entries(t.unrepresentable.columns).map(
        ([column, n]) => `${n.toLocaleString('en-US')} in "${column}"`,
      );
      const done = t.unrepresentable.policy === 'null' ? 'loaded as NULL' : 'made their columns land as text';
      lines.push(`  ${t.source}: values Snowflake cannot hold ${done}: ${counts.join(', ')}`);
    }
    for (const change of t.schemaChanges ?? []) lines.push(`  ${t.source}: schema change: ${change}`);
    if (t.cursor !== undefined) lines.push(`  ${t.source}: cursor now ${t.cursor ?? 'not set (no cursor values yet)'}`);
    if (t.error) lines.push(`  ${t.source} failed: ${t.error}`);
  }
  return lines.join('\n');
}

/** One line per table for progress output. */
export function formatProgress(progress: RunProgress, startedAt: number): string[] {
  const elapsed = (Date.now() - startedAt) / 1000;
  return progress.tables.map((t) => {
    const rowsPerSecond = elapsed > 0 ? Math.round(t.rows / elapsed) : 0;
    const done = t.partitions > 0 ? `${t.partitionsDone}/${t.partitions} partitions` : 'planning';
    const eta = etaText(t.rows, t.estimatedRows, rowsPerSecond);
    return `${t.source}: ${t.state} ${done}, ${rowsText(t)}, ${rowsPerSecond.toLocaleString('en-US')} rows/s${eta}`;
  });
}

function etaText(rows: number, estimated: number, rowsPerSecond: number): string {
  if (!estimated || rowsPerSecond <= 0 || rows >= estimated) return '';
  return `, ETA ${Math.ceil((estimated - rows) / rowsPerSecond)} s`;
}

function rate(t: TableResult): string {
  return t.seconds > 0 ? Math.round(t.rows / t.seconds).toLocaleString('en-US') : '-';
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => {
        const width = known(widths[i], 'widths has an entry for every column of every row');
        return i >= 3 ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd(),
  );
}
