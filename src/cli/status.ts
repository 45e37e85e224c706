import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  activePartitions,
  connectClient,
  pipelineWorkflowId,
  runProgress,
  waitForRun,
  type PartitionProgress,
} from '../client';
import type { TemporalSettings } from '../config/pipeline';
import { ConduitStatus } from '../search-attributes';
import type { TableProgress } from '../shared';
import { formatBytes } from './progress';
import { formatSummary } from './summary';

export interface StatusOptions {
  temporal: TemporalSettings;
  pipeline: string;
  /** Redraw every this many ms until the run ends (0: print once). */
  watchMs?: number;
  out?: NodeJS.WritableStream;
}

/**
 * `conduit status`: the pipeline's current or last run — per table its state, partitions, rows and
 * bytes, and per partition in flight its range, phase and rows so far. Exit code 0 when the run is
 * going or succeeded, 1 when it failed or there is none.
 */
export async function statusCommand(options: StatusOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const client = await connectClient(options.temporal);
  try {
    for (;;) {
      const report = await pipelineStatusReport(client, options.pipeline);
      out.write(`${report.lines.join('\n')}\n`);
      if (!report.running || !options.watchMs) return report.exitCode;
      await new Promise((r) => setTimeout(r, options.watchMs));
      out.write('\n');
    }
  } finally {
    await client.connection.close();
  }
}

export interface StatusReport {
  lines: string[];
  running: boolean;
  exitCode: number;
}

/** What `conduit status` prints, as lines (exported for tests). */
export async function pipelineStatusReport(client: Client, pipeline: string): Promise<StatusReport> {
  const workflowId = pipelineWorkflowId(pipeline);
  const handle = client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      return { lines: [`${workflowId}: no run of pipeline ${pipeline} found`], running: false, exitCode: 1 };
    throw error;
  }
  const state = description.typedSearchAttributes.get(ConduitStatus);
  const lines = [
    `${workflowId}  ${description.status.name}${state ? ` (${state})` : ''}  started ` +
      `${description.startTime.toISOString()}` +
      `${description.closeTime ? `  closed ${description.closeTime.toISOString()}` : ''}  run ${description.runId}`,
  ];
  if (description.status.name !== 'RUNNING') {
    const outcome = await waitForRun(handle);
    if (outcome.result) lines.push(...indent(formatSummary(outcome.result).split('\n')));
    if (!outcome.ok) lines.push(`  failed: ${outcome.message}`);
    return { lines, running: false, exitCode: outcome.ok ? 0 : 1 };
  }
  const progress = await withTimeout(
    runProgress(client, workflowId, description.runId),
    10_000,
    'the status query got no answer (is a worker running for this task queue?)',
  );
  const pending = progress.status.tables.filter((t) => t.state === 'pending').length;
  const width = Math.max(0, ...progress.tables.map((t) => t.source.length));
  for (const table of progress.tables) {
    lines.push(`  ${formatTableLine(table, width)}`);
    for (const batch of table.activeBatches) {
      const partitions = await activePartitions(client, batch).catch(() => [] as PartitionProgress[]);
      for (const p of partitions) lines.push(`    ${formatPartitionLine(p)}`);
    }
    if (table.error) lines.push(`    error: ${table.error}`);
  }
  if (progress.status.tables.length === 0) lines.push('  planning');
  if (pending > 0) lines.push(`  ${pending} more tables waiting`);
  return { lines, running: true, exitCode: 0 };
}

function formatTableLine(t: TableProgress, width: number): string {
  const partitions = t.partitions > 0 ? `${t.partitionsDone}/${t.partitions} partitions` : '-';
  const estimate = t.estimatedRows ? `/~${t.estimatedRows.toLocaleString('en-US')}` : '';
  const rows = `${t.rows.toLocaleString('en-US')}${estimate} rows`;
  return `${t.source.padEnd(width)}  ${t.state.padEnd(10)}  ${partitions}  ${rows}  ${formatBytes(t.bytes)}`;
}

export function formatPartitionLine(p: PartitionProgress): string {
  const rows = p.rows !== undefined ? `${p.rows.toLocaleString('en-US')} rows` : '';
  const bytes = p.bytes !== undefined ? formatBytes(p.bytes) : '';
  const attempt = p.attempt > 1 ? `attempt ${p.attempt}${p.lastFailure ? ` (last: ${p.lastFailure})` : ''}` : '';
  return [`partition ${p.partition ?? '?'}`, p.range ?? '', p.state, p.phase ?? '', rows, bytes, attempt]
    .filter(Boolean)
    .join('  ');
}

function indent(lines: string[]): string[] {
  return lines.map((l) => `  ${l}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
