/**
 * One benchmark case: a full_refresh of the source table through the real stack (Temporal, a worker
 * in its own process, PostgreSQL, the Snowflake emulator or a DuckDB file) with the table split into
 * `partitions` partitions extracted all at once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client as TemporalClient } from '@temporalio/client';
import { startPipelineRun, waitForRun } from '../client';
import type { SnowflakeDestination } from '../config/pipeline';
import type { DestinationType } from '../shared';
import type { Codec } from '../config/compression';
import type { SnowflakeEmulatorService } from '../dev/types';
import { withSnowflake } from '../connectors/snowflake/connection';
import { quoteIdent as sfQuote } from '../connectors/snowflake/dialect';
import { readRunHistory, timeline, type RunHistory } from './history';
import { CpuSampler, threadCpuSeconds } from './procfs';
import { BENCH_TABLE, type PostgresEndpoint } from './source';
import type { CaseRun } from './types';
import { startWorkerChild } from './worker-child';

export interface BenchServices {
  temporal: { address: string; namespace: string };
  postgres: PostgresEndpoint;
  /** Absent when the bench loads into DuckDB. */
  snowflake?: Omit<SnowflakeEmulatorService, 'stop'>;
}

export interface CaseContext {
  services: BenchServices;
  /** The bench's own database on the PostgreSQL server. */
  source: PostgresEndpoint;
  client: TemporalClient;
  /** Process trees whose CPU time is reported (besides the worker's). */
  cpuRoots: Record<string, number | undefined>;
  cpuProfileDir?: string;
  /** Node flags of the worker process. */
  workerNodeFlags: string[];
  /** Extra environment of the worker process. */
  workerEnv: Record<string, string>;
  bundleAtStart: boolean;
  compression: Codec;
  destination: DestinationType;
}

export interface CaseOutcome {
  run: Omit<CaseRun, 'endToEndVsBaseline' | 'extractStageVsBaseline'>;
  history?: RunHistory;
  prebuiltBundle: boolean;
}

/** partitionRows that splits `rows` into exactly `partitions` key ranges. */
export function partitionRowsFor(rows: number, partitions: number): number {
  return Math.ceil(rows / partitions);
}

/** The case's destination: a schema of the emulator, or a DuckDB file in `scratch`. */
function destinationDocument(context: CaseContext, name: string, scratch: string): Record<string, unknown> {
  if (context.destination === 'duckdb') return { type: 'duckdb', path: join(scratch, 'bench.duckdb'), schema: 'bench' };
  const snowflake = destinationOf(context.services);
  return {
    type: 'snowflake',
    account: snowflake.account,
    user: snowflake.user,
    password: '${BENCH_SF_PASSWORD}',
    database: snowflake.database,
    schema: name.toUpperCase().replace(/[^A-Z0-9]/g, '_'),
    host: snowflake.host,
    port: snowflake.port,
    protocol: snowflake.protocol,
  };
}

function pipelineDocument(
  context: CaseContext,
  name: string,
  rows: number,
  partitions: number,
  scratch: string,
): Record<string, unknown> {
  const { temporal } = context.services;
  const source = context.source;
  return {
    name,
    temporal: { address: temporal.address, namespace: temporal.namespace, taskQueue: `conduit-${name}` },
    source: {
      type: 'postgres',
      host: source.host,
      port: source.port,
      database: source.database,
      user: source.user,
      password: '${BENCH_PG_PASSWORD}',
    },
    destination: destinationDocument(context, name, scratch),
    tables: [{ name: `${BENCH_TABLE.schema}.${BENCH_TABLE.name}` }],
    settings: {
      mode: 'full_refresh',
      partitionRows: partitionRowsFor(rows, partitions),
      maxParallelPartitions: partitions,
      maxParallelTables: 1,
      compression: context.compression,
    },
  };
}

export async function runCase(context: CaseContext, rows: number, partitions: number): Promise<CaseOutcome> {
  const name = `bench-${rows}-${partitions}p-${randomBytes(3).toString('hex')}`;
  const scratch = mkdtempSync(join(tmpdir(), 'conduit-bench-case-'));
  const document = pipelineDocument(context, name, rows, partitions, scratch);
  const targetSchema = (document.destination as { schema: string }).schema;
  const worker = await startWorkerChild({
    document,
    env: {
      ...context.workerEnv,
      BENCH_PG_PASSWORD: context.source.password,
      BENCH_SF_PASSWORD: context.services.snowflake?.password ?? '',
    },
    cpuProfileDir: context.cpuProfileDir,
    nodeFlags: context.workerNodeFlags,
    bundleAtStart: context.bundleAtStart,
  });
  const sampler = new CpuSampler({ ...context.cpuRoots, worker: worker.pid });
  let outcome: Awaited<ReturnType<typeof waitForRun>> | undefined;
  let failure: string | undefined;
  let workflowId: string | undefined;
  let seconds = 0;
  let threadsBefore: Record<string, number> = {};
  const workerThreads: Record<string, number> = {};
  let usage;
  try {
    sampler.start();
    threadsBefore = threadCpuSeconds(worker.pid);
    const started = process.hrtime.bigint();
    const temporal = {
      address: context.services.temporal.address,
      namespace: context.services.temporal.namespace,
      taskQueue: `conduit-${name}`,
    };
    const handle = await startPipelineRun(context.client, temporal, { pipeline: name });
    workflowId = handle.workflowId;
    outcome = await waitForRun(handle);
    seconds = Number(process.hrtime.bigint() - started) / 1e9;
    sampler.stop();
    const threads = threadCpuSeconds(worker.pid);
    for (const [name, seconds] of Object.entries(threads)) {
      const before = threadsBefore[name] ?? 0;
      if (seconds - before >= 0.05) workerThreads[name] = Math.round((seconds - before) * 100) / 100;
    }
    if (!outcome.ok) failure = outcome.message;
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  } finally {
    sampler.stop();
    usage = await worker.stop().catch((error: unknown) => {
      failure ??= error instanceof Error ? error.message : String(error);
      return worker.usage();
    });
    if (context.destination === 'snowflake') await dropTargetSchema(context, targetSchema);
    rmSync(scratch, { recursive: true, force: true });
  }

  const history = workflowId ? await readRunHistory(context.client, workflowId).catch(() => undefined) : undefined;
  const table = outcome?.ok ? outcome.result.tables[0] : undefined;
  const rowsLoaded = table?.rows ?? 0;
  const extractSeconds = history?.extractStage
    ? (history.extractStage.to - history.extractStage.from) / 1000
    : Number.NaN;
  const load = history?.activities.find((a) => a.type === 'loadTable');
  return {
    prebuiltBundle: worker.prebuiltBundle,
    history,
    run: {
      ok: failure === undefined,
      ...(failure !== undefined ? { error: failure } : {}),
      endToEndSeconds: seconds,
      endToEndRowsPerSecond: seconds > 0 ? rowsLoaded / seconds : 0,
      extractStageSeconds: extractSeconds,
      extractStageRowsPerSecond: extractSeconds > 0 ? rowsLoaded / extractSeconds : 0,
      rowsLoaded,
      stagedBytes: table?.bytes ?? 0,
      partitionsRun: table?.partitions ?? 0,
      worker: usage,
      timeline: history
        ? timeline(history)
        : { workflowSeconds: 0, activitySeconds: 0, temporalSeconds: 0, scheduleToStartSeconds: 0, activities: {} },
      cpuSeconds: sampler.total(),
      extractStageCpuSeconds: history?.extractStage
        ? sampler.between(history.extractStage.from, history.extractStage.to)
        : {},
      loadCpuSeconds:
        load?.started !== undefined && load.closed !== undefined ? sampler.between(load.started, load.closed) : {},
      workerThreadCpuSeconds: workerThreads,
    },
  };
}

/** The services' Snowflake (emulator) as a pipeline destination, secrets included. */
export function destinationOf(services: BenchServices): SnowflakeDestination {
  const sf = services.snowflake;
  if (!sf) throw new Error('this bench runs without the Snowflake emulator');
  return {
    type: 'snowflake',
    account: sf.account,
    user: sf.user,
    password: sf.password,
    database: sf.database,
    schema: sf.schema,
    host: sf.host,
    port: sf.port,
    protocol: sf.protocol,
  };
}

/** The emulator keeps tables in memory: each case's target goes once it is measured. */
async function dropTargetSchema(context: CaseContext, schema: string): Promise<void> {
  const destination = destinationOf(context.services);
  await withSnowflake(destination, (session) =>
    session.query(`DROP SCHEMA IF EXISTS ${sfQuote(destination.database)}.${sfQuote(schema)} CASCADE`),
  ).catch(() => undefined);
}
