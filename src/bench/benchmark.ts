/**
 * The benchmark loop: for each table size, generate the table (not timed), run every partition
 * count through the real stack, and measure the raw single-stream baseline on the same server.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import type { Codec } from '../config/compression';
import { known } from '../invariant';
import { measureBaseline, measureStaging, wholeTableStatement } from './baseline';
import { findProcesses } from './procfs';
import { destinationOf, partitionRowsFor, runCase, type BenchServices, type CaseContext } from './run-case';
import { createBenchDatabase, generateTable } from './source';
import type { Baseline, BenchResults, CaseResult, CaseRun } from './types';
import type { DestinationType } from '../shared';

export interface BenchmarkPlan {
  rows: number[];
  partitions: number[];
  repeat: number;
  baselineRepeat: number;
  cpuProfileDir?: string;
  /** Node flags of the worker processes. */
  workerNodeFlags: string[];
  /** Extra environment of the worker processes. */
  workerEnv: Record<string, string>;
  /** Bundle the workflows at worker start instead of loading the prebuilt bundle (to measure the difference). */
  bundleAtStart: boolean;
  /** Codec of the staged files (the baseline keeps gzip, as issue 5 defines it). */
  compression: Codec;
  /** Whether the services were started for this run or came from the environment. */
  services: BenchResults['services'];
  destination: DestinationType;
}

export type Log = (line: string) => void;

export async function runBenchmark(
  services: BenchServices,
  plan: BenchmarkPlan,
  log: Log = () => undefined,
): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const loadAverage = known(loadavg()[0], 'os.loadavg() returns three averages');
  const database = await createBenchDatabase(services.postgres);
  const connection = await Connection.connect({ address: services.temporal.address });
  const client = new TemporalClient({ connection, namespace: services.temporal.namespace });
  const context: CaseContext = {
    services,
    source: database.endpoint,
    client,
    cpuProfileDir: plan.cpuProfileDir,
    workerNodeFlags: plan.workerNodeFlags,
    workerEnv: plan.workerEnv,
    bundleAtStart: plan.bundleAtStart,
    compression: plan.compression,
    destination: plan.destination,
    cpuRoots: {
      postgres: database.postmasterPid,
      emulator: services.snowflake
        ? findProcesses(['conduit_emulator.py', `--port ${services.snowflake.port} `])[0]
        : undefined,
      temporal: findProcesses(['temporal', 'start-dev', `--port ${services.temporal.address.split(':').pop()} `])[0],
    },
  };
  const baselines: Baseline[] = [];
  const cases: CaseResult[] = [];
  let prebuiltBundle = true;
  try {
    for (const rows of plan.rows) {
      log(`generating demo.orders with ${rows.toLocaleString('en-US')} rows (not timed)…`);
      const generated = await generateTable(database.endpoint, rows);
      let baseline: Baseline | undefined;
      const sizeCases: CaseResult[] = [];
      for (const partitions of plan.partitions) {
        const runs: CaseRun[] = [];
        for (let attempt = 0; attempt < plan.repeat; attempt++) {
          const outcome = await runCase(context, rows, partitions);
          prebuiltBundle &&= outcome.prebuiltBundle;
          const run: CaseRun = { ...outcome.run, endToEndVsBaseline: Number.NaN, extractStageVsBaseline: Number.NaN };
          runs.push(run);
          log(describeRun(rows, partitions, run));
          // The baseline runs the exact SELECT the pipeline ran, which the first run's history names.
          if (!baseline && outcome.history?.prepared) {
            const sql = wholeTableStatement(outcome.history.prepared.job, outcome.history.prepared.table);
            const measured = await measureBaseline(database.endpoint, sql, plan.baselineRepeat, database.serverFiles);
            // The PUT to a stage is Snowflake's; a DuckDB destination reads the staged file where it lies.
            const staging = services.snowflake
              ? await measureStaging(
                  database.endpoint,
                  sql,
                  destinationOf(services),
                  plan.compression,
                  Math.min(2, plan.baselineRepeat),
                ).catch((error: unknown) => {
                  log(`  (staging measurement failed: ${(error as Error).message})`);
                  return undefined;
                })
              : undefined;
            baseline = {
              rows,
              rowsPerSecond: rows / measured.seconds,
              tableBytes: generated.tableBytes,
              generateSeconds: generated.seconds,
              ...measured,
              staging,
            };
            log(
              `  raw baseline (COPY → gzip-1 → nowhere, 1 stream): ${measured.seconds.toFixed(2)} s, ` +
                `${Math.round(baseline.rowsPerSecond).toLocaleString('en-US')} rows/s` +
                (measured.serverOnlySeconds !== undefined
                  ? `; PostgreSQL alone (COPY TO /dev/null): ${measured.serverOnlySeconds.toFixed(2)} s`
                  : '') +
                (staging
                  ? `; extractToFile ${staging.extractToFileSeconds.toFixed(2)} s + one PUT ` +
                    `${staging.putSeconds.toFixed(2)} s`
                  : ''),
            );
          }
        }
        sizeCases.push({
          rows,
          partitions,
          partitionRows: partitionRowsFor(rows, partitions),
          run: median(runs),
          runs,
        });
      }
      if (baseline) {
        baselines.push(baseline);
        for (const run of sizeCases.flatMap((c) => c.runs)) {
          run.endToEndVsBaseline = run.endToEndRowsPerSecond / baseline.rowsPerSecond;
          run.extractStageVsBaseline = run.extractStageRowsPerSecond / baseline.rowsPerSecond;
        }
      }
      cases.push(...sizeCases);
    }
  } finally {
    await connection.close();
    await database
      .drop()
      .catch((error: unknown) => log(`could not drop the benchmark database: ${(error as Error).message}`));
  }
  const cpu = cpus();
  return {
    startedAt,
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      node: process.version,
      postgres: database.version,
      platform: `${process.platform} ${process.arch}`,
      loadAverage,
      workflowBundle: prebuiltBundle ? 'prebuilt' : 'bundled at start',
    },
    options: {
      rows: plan.rows,
      partitions: plan.partitions,
      repeat: plan.repeat,
      baselineRepeat: plan.baselineRepeat,
      workerNodeFlags: plan.workerNodeFlags,
      workerEnv: plan.workerEnv,
      bundleAtStart: plan.bundleAtStart,
      compression: plan.compression,
      destination: plan.destination,
    },
    services: plan.services,
    baselines,
    cases,
  };
}

/** The run with the median end-to-end time (failed runs sort last). */
function median(runs: CaseRun[]): CaseRun {
  const sorted = [...runs].sort((a, b) => Number(b.ok) - Number(a.ok) || a.endToEndSeconds - b.endToEndSeconds);
  return known(sorted[Math.floor((sorted.length - 1) / 2)], 'every case runs at least once (--repeat >= 1)');
}

function describeRun(rows: number, partitions: number, run: CaseRun): string {
  const head = `  ${rows.toLocaleString('en-US')} rows, ${partitions} partition${partitions === 1 ? '' : 's'}: `;
  if (!run.ok) return `${head}FAILED: ${run.error}`;
  return (
    `${head}${run.endToEndSeconds.toFixed(2)} s end to end ` +
    `(${Math.round(run.endToEndRowsPerSecond).toLocaleString('en-US')} rows/s), ` +
    `extract+stage ${run.extractStageSeconds.toFixed(2)} s, worker peak RSS ` +
    `${(run.worker.peakRssBytes / 2 ** 20).toFixed(0)} MB`
  );
}
