/**
 * What every chaos test needs: a harness without an in-process worker, `conduit worker` processes
 * for its pipeline (all sharing one scratch folder, as workers on one machine do), a source table
 * big enough to have several partitions mid-stream, and the clean-up checks. The pipeline loads into
 * the rig's target (chaos-targets.ts): the Snowflake emulator unless told otherwise.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { expect, inject } from 'vitest';
import { runProgress, startPipelineRun } from '../../src/client';
import { FAULT_ENV, type FaultPoint } from '../../src/faults';
import type { TableState } from '../../src/shared';
import { recordChaosResult, type ChaosResult } from './chaos-record';
import { SnowflakeTarget, type ChaosTarget } from './chaos-targets';
import { CliWorkers, writePipelineFile, type CliWorker } from './cli-worker';
import { Harness, type HarnessServices } from './harness';
import { eventually } from './stub-worker';
import { scratchDir } from './scratch';

/**
 * Several partitions of a few MB each (so a kill lands mid-stream), and a 10 s heartbeat timeout so a kill costs ~10 s,
 * not 30.
 */
export const CHAOS_SETTINGS = { partitionRows: 50_000, maxParallelPartitions: 2, heartbeatTimeoutSeconds: 10 };
export const CHAOS_ROWS = 200_000;

/** CONDUIT_CHAOS=full runs every case; otherwise only the representative ones CI runs. */
export const FULL_CHAOS = process.env['CONDUIT_CHAOS'] === 'full';

export class ChaosRig {
  readonly harness: Harness;
  readonly target: ChaosTarget;
  readonly workers = new CliWorkers();
  /** TMPDIR of the worker processes: their partition files live under `<tmp>/conduit-work`. */
  readonly tmp = scratchDir('chaos');
  private configFile = '';

  constructor(
    services: HarnessServices,
    sourceSchema: string,
    settings: Record<string, unknown> = {},
    target: (harness: Harness) => ChaosTarget = (harness) => new SnowflakeTarget(harness),
  ) {
    this.harness = new Harness(services, {
      sourceSchema,
      inProcessWorker: false,
      pipeline: { settings: { ...CHAOS_SETTINGS, ...settings } },
    });
    this.target = target(this.harness);
  }

  get schema(): string {
    return this.harness.options.sourceSchema;
  }

  async start(): Promise<void> {
    await this.harness.start();
    this.configFile = writePipelineFile({
      ...this.harness.pipelineDocument(this.harness.config.name),
      destination: this.target.destination,
    });
  }

  async stop(): Promise<void> {
    await this.workers.killAll();
    await this.harness.stop();
    rmSync(this.tmp, { recursive: true, force: true });
  }

  /** A worker process for the pipeline; with a fault point it SIGKILLs itself there. */
  async startWorker(
    options: { fault?: `${FaultPoint}` | `${FaultPoint}@${number}`; args?: string[] } = {},
  ): Promise<CliWorker> {
    const env: NodeJS.ProcessEnv = {
      ...this.harness.env,
      TMPDIR: this.tmp,
      CONDUIT_LOG_LEVEL: 'WARN',
      [FAULT_ENV]: options.fault ?? '',
    };
    const worker = this.workers.start(this.configFile, env, options.args);
    await worker.ready();
    return worker;
  }

  startRun(tables: string[]): Promise<WorkflowHandleWithFirstExecutionRunId> {
    const { harness } = this;
    return startPipelineRun(harness.client, harness.config.temporal, {
      pipeline: harness.config.name,
      tables: tables.map((t) => `${this.schema}.${t}`),
    });
  }

  /** Waits until the run's table is in one of `states` (needs a live worker to answer queries). */
  async waitForTable(handle: WorkflowHandle, states: TableState[], timeoutMs = 120_000): Promise<void> {
    await eventually(
      async () => {
        const progress = await runProgress(this.harness.client, handle.workflowId);
        return progress.tables.some((t) => states.includes(t.state)) ? true : undefined;
      },
      timeoutMs,
      `the table to be ${states.join(' or ')}`,
    );
  }

  /** A table of CHAOS_ROWS rows, several columns, NULLs and quotes: enough for a few partitions of several MB. */
  async createTable(table: string, rows = CHAOS_ROWS): Promise<void> {
    const name = `${this.schema}.${table}`;
    await this.harness.pg.query(
      `CREATE TABLE ${name} (id bigint PRIMARY KEY, qty integer, amount numeric(12,2), note text, at timestamptz)`,
    );
    await this.harness.pg.query(
      `INSERT INTO ${name}
       SELECT g, g % 1000, round(g / 7.0, 2),
              CASE WHEN g % 11 = 0 THEN NULL
                   ELSE 'row "' || g || '", with a comma and some padding to make rows longer' END,
              timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
       FROM generate_series(1, $1::bigint) g`,
      [rows],
    );
  }

  /** Changes the source so the next run's content differs from the last one's in count and values. */
  async changeTable(table: string): Promise<void> {
    const name = `${this.schema}.${table}`;
    await this.harness.pg.query(`DELETE FROM ${name} WHERE id % 10 = 0`);
    await this.harness.pg.query(`UPDATE ${name} SET qty = qty + 1, note = 'changed' WHERE id % 7 = 0`);
    await this.harness.pg.query(
      `INSERT INTO ${name} (id, qty, note) SELECT g, 1, 'new ' || g FROM ` +
        `generate_series(${CHAOS_ROWS + 1}, ${CHAOS_ROWS + 5000}) g`,
    );
  }

  /** Files the workers left in their scratch folder. */
  workFiles(): string[] {
    try {
      return readdirSync(join(this.tmp, 'conduit-work'), { recursive: true }).map(String);
    } catch {
      return [];
    }
  }

  /** No shadow table, no stage and no local partition file of any run is left. */
  async expectCleanedUp(): Promise<void> {
    expect(await this.target.leftovers()).toEqual([]);
    // A cancelled extract may still be unwinding on its worker for a moment.
    await eventually(
      async () => (this.workFiles().length === 0 ? true : undefined),
      30_000,
      `no partition files (left: ${this.workFiles().join(', ')})`,
    );
  }

  /**
   * Runs one case; whatever it ends with is recorded (a case that throws before `finishCase` is
   * recorded as failed with the error).
   */
  async runCase(
    name: string,
    expected: ChaosResult['expected'],
    body: (record: CaseRecorder) => Promise<void>,
  ): Promise<void> {
    const state = { recorded: false };
    const finish: CaseRecorder = async (tables, result) => {
      state.recorded = true;
      const { source, target } = typeof tables === 'string' ? { source: tables, target: tables } : tables;
      await this.finishCase(source, target, { case: name, expected, ...result });
    };
    try {
      await body(finish);
    } catch (error) {
      if (!state.recorded)
        recordChaosResult(inject('chaosRun'), {
          case: name,
          expected,
          ok: false,
          rows: 0,
          rowsLost: 0,
          rowsDuplicated: 0,
          detail: String(error).slice(0, 300),
        });
      throw error;
    }
  }

  /** Compares the target with the source and checks the clean-up, records the case, then asserts. */
  private async finishCase(
    source: string,
    target: string,
    result: Omit<ChaosResult, 'rows' | 'rowsLost' | 'rowsDuplicated'>,
  ): Promise<void> {
    const diff = await this.harness.contentDiff(source, target, (table, kinds) => this.target.rows(table, kinds));
    const cleanup = await this.expectCleanedUp().then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    const ok = result.ok && diff.missing === 0 && diff.extra === 0 && cleanup === undefined;
    const detail =
      [result.detail, cleanup === undefined ? undefined : `not cleaned up: ${String(cleanup)}`]
        .filter(Boolean)
        .join('; ') || undefined;
    recordChaosResult(inject('chaosRun'), {
      ...result,
      ok,
      detail,
      rows: diff.sourceRows,
      rowsLost: diff.missing,
      rowsDuplicated: diff.extra,
    });
    expect(diff).toEqual({ sourceRows: diff.sourceRows, targetRows: diff.sourceRows, missing: 0, extra: 0 });
    if (cleanup !== undefined) throw cleanup;
    expect(result.ok, result.detail).toBe(true);
  }
}

/** `promise`, or an error naming `what` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Ends a case: the target table and the source table it must equal (the same name, or a copy of
 * the source taken before the case changed it), and what the case measured.
 */
export type CaseRecorder = (
  tables: string | { source: string; target: string },
  result: Pick<ChaosResult, 'ok' | 'recoverySeconds' | 'readerPolls' | 'detail'>,
) => Promise<void>;
