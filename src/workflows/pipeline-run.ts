import {
  ApplicationFailure,
  defineQuery,
  executeChild,
  isCancellation,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { ConduitMode, ConduitPipeline, ConduitStatus, type RunStatus } from '../search-attributes';
import { tableWorkflowId } from '../ids';
import {
  qualifiedName,
  type PipelinePlan,
  type PipelineRunInput,
  type PipelineRunResult,
  type PipelineStatus,
  type TableResult,
} from '../shared';
import { planning } from './activities';
import { mapWithConcurrency } from './concurrency';
import { failWith, rootMessage } from './failures';
import { tableIncremental } from './table-incremental';
import { recordRunOutcome, recordTableOutcome } from './run-metrics';
import { tableRefresh } from './table-refresh';
import { FailureType } from '../failure-types';
import { known } from '../invariant';

export const pipelineStatusQuery = defineQuery<PipelineStatus>('status');

/**
 * One pipeline run: plan the tables, refresh each in its own child workflow (a bounded number at
 * once), and report per table. A failed table does not stop the others; the run fails at the end
 * naming every table that failed.
 */
export async function pipelineRun(input: PipelineRunInput): Promise<PipelineRunResult> {
  const started = Date.now();
  const info = workflowInfo();
  const status: PipelineStatus = { pipeline: input.pipeline, tables: [] };
  setHandler(pipelineStatusQuery, () => status);
  // Set here, not only by the starter: runs started from the Temporal CLI or a schedule carry them too.
  upsertSearchAttributes([
    { key: ConduitPipeline, value: input.pipeline },
    { key: ConduitStatus, value: 'planning' satisfies RunStatus },
  ]);
  const finish = (state: RunStatus, summary: string) => {
    upsertSearchAttributes([{ key: ConduitStatus, value: state }]);
    upsertMemo({ summary });
  };

  let plan: PipelinePlan;
  try {
    plan = await planning.planPipeline.executeWithOptions({ summary: `plan pipeline ${input.pipeline}` }, [input]);
  } catch (error) {
    finish(isCancellation(error) ? 'cancelled' : 'failed', `planning failed`);
    throw failWith(`planning pipeline ${input.pipeline}`, error, FailureType.PlanningFailed);
  }
  // Names this run's shadow tables and stages; the same after a resume, different for every run.
  const runKey = info.runId.replace(/-/g, '').slice(0, 12);
  status.tables = plan.tables.map((job) => ({
    source: qualifiedName(job.source),
    workflowId: tableWorkflowId(info.workflowId, qualifiedName(job.source)),
    state: 'pending',
  }));
  const [mode, ...otherModes] = new Set(plan.tables.map((t) => t.mode));
  upsertSearchAttributes([
    { key: ConduitStatus, value: 'running' satisfies RunStatus },
    { key: ConduitMode, value: mode !== undefined && otherModes.length === 0 ? mode : 'mixed' },
  ]);
  upsertMemo({
    summary: `${plan.tables.length} tables: ${status.tables
      .slice(0, 20)
      .map((t) => t.source)
      .join(', ')}${plan.tables.length > 20 ? ', …' : ''}`,
  });

  const tables = await mapWithConcurrency(
    plan.tables,
    plan.maxParallelTables,
    async (job, index): Promise<TableResult> => {
      const entry = known(status.tables[index], 'status.tables has an entry per planned table');
      entry.state = 'preparing';
      const tableStarted = Date.now();
      const reload = job.fullRefresh ? 'full reload, ' : '';
      try {
        const result = await executeChild(job.mode === 'full_refresh' ? tableRefresh : tableIncremental, {
          workflowId: entry.workflowId,
          args: [{ job, runKey }],
          staticSummary: `${reload}${job.mode} ${entry.source} → ${qualifiedName(job.target)}`,
        });
        entry.state = 'succeeded';
        recordTableOutcome(input.pipeline, job, 'succeeded', (Date.now() - tableStarted) / 1000);
        return result;
      } catch (error) {
        if (isCancellation(error)) throw error;
        entry.state = 'failed';
        recordTableOutcome(input.pipeline, job, 'failed', (Date.now() - tableStarted) / 1000);
        return {
          source: entry.source,
          target: qualifiedName(job.target),
          status: 'failed',
          rows: 0,
          bytes: 0,
          partitions: 0,
          seconds: (Date.now() - tableStarted) / 1000,
          error: rootMessage(error),
        };
      }
    },
  ).catch((error: unknown) => {
    if (isCancellation(error)) finish('cancelled', 'cancelled');
    throw error;
  });

  const result: PipelineRunResult = { pipeline: plan.pipeline, tables, seconds: (Date.now() - started) / 1000 };
  const failed = tables.filter((t) => t.status === 'failed');
  const rows = tables.reduce((sum, t) => sum + t.rows, 0);
  recordRunOutcome(input.pipeline, failed.length > 0 ? 'failed' : 'succeeded', result.seconds);
  finish(
    failed.length > 0 ? 'failed' : 'succeeded',
    `${tables.length - failed.length}/${tables.length} tables succeeded, ${rows} rows in ` +
      `${Math.round(result.seconds)} s`,
  );
  if (failed.length > 0) {
    const lines = failed.map((t) => `${t.source}: ${t.error}`).join('; ');
    throw ApplicationFailure.create({
      message: `${failed.length} of ${tables.length} tables failed: ${lines}`,
      type: FailureType.TablesFailed,
      nonRetryable: true,
      details: [result],
    });
  }
  return result;
}
