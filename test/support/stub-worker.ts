/**
 * A worker running Conduit's real workflows with scripted activities, for tests of orchestration
 * that must not depend on how fast real data moves: slow runs (schedule overlap), partitions held
 * in flight (live progress). Nothing touches PostgreSQL or Snowflake.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { SNAPSHOT_READY_SIGNAL } from '../../src/ids';
import { workflowInterceptorModules } from '../../src/build-bundle';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { ConduitActivities } from '../../src/activities';
import type { TemporalSettings } from '../../src/config/pipeline';
import type { PartitionResult, PipelinePlan, PreparedTable, SnapshotMode, TableJob } from '../../src/shared';

let bundle: Promise<WorkflowBundle> | undefined;
function workflowBundle(): Promise<WorkflowBundle> {
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
  bundle ??= bundleWorkflowCode({
    workflowsPath: resolve(__dirname, '../../src/workflows/index.ts'),
    workflowInterceptorModules: workflowInterceptorModules(resolve(__dirname, '../../src')),
    logger: quiet,
  });
  return bundle;
}

export interface StubScript {
  /** Tables the plan returns (`schema.table`); none by default. */
  tables?: string[];
  /** How long planning takes: makes a run slow without any table. */
  planMs?: number;
  /** Partition bounds of every table's integer key `id` (n bounds make n + 1 partitions). */
  bounds?: string[];
  /** Awaited by every extract after its first heartbeat: holds partitions in flight. */
  extractGate?: Promise<void>;
  /** Rows each partition reports. */
  rowsPerPartition?: number;
  /** The tables' snapshot mode (`consistent` makes every table start snapshot holders). */
  snapshot?: SnapshotMode;
  /**
   * How successive snapshot holders fail before exporting, one entry per holder: `transient` (an
   * ordinary error, as a dropped connection), `permanent` (non-retryable). Holders past the list
   * signal a snapshot and hold it until cancelled.
   */
  holderFailures?: ('transient' | 'permanent')[];
}

export class StubWorker {
  readonly pipeline = `stub${randomUUID().slice(0, 8)}`;
  readonly temporal: TemporalSettings;
  script: StubScript = {};
  /** Planning calls, with their start and end times: to check runs never overlapped. */
  readonly plans: { start: number; end: number }[] = [];
  /** Snapshot holders started so far. */
  holders = 0;
  private native?: NativeConnection;
  private worker?: Worker;
  private running?: Promise<void>;
  private clientConnection?: Connection;
  client!: Client;

  constructor(address: string, namespace: string) {
    this.temporal = { address, namespace, taskQueue: `conduit-stub-${this.pipeline}` };
  }

  async start(): Promise<void> {
    this.native = await NativeConnection.connect({ address: this.temporal.address });
    this.worker = await Worker.create({
      connection: this.native,
      namespace: this.temporal.namespace,
      taskQueue: this.temporal.taskQueue,
      workflowBundle: await workflowBundle(),
      activities: this.activities(),
    });
    this.running = this.worker.run();
    this.clientConnection = await Connection.connect({ address: this.temporal.address });
    this.client = new Client({ connection: this.clientConnection, namespace: this.temporal.namespace });
  }

  async stop(): Promise<void> {
    this.worker?.shutdown();
    await this.running;
    await this.native?.close();
    await this.clientConnection?.close();
  }

  private activities(): ConduitActivities {
    const job = (source: string): TableJob => {
      const [schema, name] = source.split('.');
      if (schema === undefined || name === undefined) throw new Error(`stub source "${source}" is not schema.table`);
      return {
        pipeline: this.pipeline,
        source: { schema, name },
        target: { schema: 'DST', name },
        mode: 'full_refresh',
        onUnrepresentable: 'fail',
        partitionRows: 1000,
        maxParallelPartitions: 8,
        heartbeatTimeoutSeconds: 30,
        snapshot: this.script.snapshot,
      };
    };
    const stubs: Record<keyof ConduitActivities, (...args: never[]) => Promise<unknown>> = {
      planPipeline: async (): Promise<PipelinePlan> => {
        const start = Date.now();
        await sleep(this.script.planMs ?? 0);
        this.plans.push({ start, end: Date.now() });
        return { pipeline: this.pipeline, tables: (this.script.tables ?? []).map(job), maxParallelTables: 4 };
      },
      prepareTable: async (): Promise<PreparedTable> => ({
        columns: [],
        partitioning: { strategy: 'key', column: 'id', bounds: this.script.bounds ?? [] },
        estimatedRows: (this.script.rowsPerPartition ?? 100) * ((this.script.bounds?.length ?? 0) + 1),
        shadow: { schema: 'DST', name: 'shadow' },
        stage: { schema: 'DST', name: 'stage' },
        runMarker: 'stub',
      }),
      extractPartition: async (input: { partition: number }): Promise<PartitionResult> => {
        const rows = this.script.rowsPerPartition ?? 100;
        const context = Context.current();
        context.heartbeat({ rows: Math.floor(rows / 2), bytes: 1234, phase: 'extract' });
        if (this.script.extractGate) {
          const beat = setInterval(
            () => context.heartbeat({ rows: Math.floor(rows / 2), bytes: 1234, phase: 'extract' }),
            1000,
          );
          try {
            await this.script.extractGate;
          } finally {
            clearInterval(beat);
          }
        }
        return { partition: input.partition, rows, bytes: 2468, file: `part-${input.partition}.csv.gz` };
      },
      holdSnapshot: async (input: { generation: number }) => {
        const context = Context.current();
        const failure = this.script.holderFailures?.[this.holders++];
        if (failure === 'transient') throw new Error('Connection terminated unexpectedly');
        if (failure === 'permanent')
          throw ApplicationFailure.nonRetryable('permission denied for function pg_export_snapshot', 'Postgres42501');
        const owner = context.info.workflowExecution;
        if (!owner) throw new Error('holdSnapshot runs on behalf of a table workflow');
        await context.client.workflow
          .getHandle(owner.workflowId, owner.runId)
          .signal(SNAPSHOT_READY_SIGNAL, { id: `stub-${input.generation}`, generation: input.generation });
        // Cancellation arrives with a heartbeat's answer.
        const beat = setInterval(() => context.heartbeat(), 500);
        try {
          await context.cancelled;
        } finally {
          clearInterval(beat);
        }
      },
      loadTable: async () => undefined,
      verifyTable: async () => undefined,
      swapTable: async () => undefined,
      cleanupTable: async () => undefined,
      // The stub plans full_refresh tables only.
      prepareIncremental: async () => {
        throw new Error('the stub worker has no incremental tables');
      },
      settleFullLoad: async () => {
        throw new Error('the stub worker has no incremental tables');
      },
      commitIncremental: async () => {
        throw new Error('the stub worker has no incremental tables');
      },
    };
    return stubs as unknown as ConduitActivities;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(250);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ` +
      `${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`,
  );
}
