/**
 * `npm run soak -- --minutes N [--every 15s]`: one long-lived `conduit worker` process serves a
 * Temporal Schedule of incremental_merge runs while a writer keeps changing the source. The worker
 * is sampled through its metrics port; at the end the target is compared with the source row by
 * row. Results: bench/results/soak-<time>.{json,md,svg}; method and figures: docs/soak.md.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connectClient, startPipelineRun, waitForRun } from '../client';
import { parsePipeline } from '../config/load';
import { connectPostgres } from '../connectors/postgres/connect';
import { withSnowflake } from '../connectors/snowflake/connection';
import { freePort } from '../dev/ports';
import { startLocalServices, toEnv } from '../dev/services';
import { parsePrometheusText, sumOf } from '../observability/prometheus-text';
import { createPipelineSchedule } from '../schedules';
import { renderSoakChart, renderSoakMarkdown, slopesAfterWarmUp, type SoakResults, type SoakSample } from './report';
import { createSoakTable, SOAK_TABLE, startSourceWriter } from './writer';

const USAGE = `npm run soak -- [--minutes N] [--every DURATION] [--rows N] [--out DIR]
  --minutes   how long the schedule runs (default 60)
  --every     the schedule's interval (default 15s)
  --rows      rows in the source table at the start (default 50000)
  --out       where results go (default bench/results)`;

const SAMPLE_MS = 30_000;

function soakPipeline(): Record<string, unknown> {
  return {
    name: 'soak',
    source: {
      type: 'postgres',
      host: '${PGHOST}',
      port: '${PGPORT}',
      database: '${PGDATABASE}',
      user: '${PGUSER}',
      password: '${PGPASSWORD}',
    },
    destination: {
      type: 'snowflake',
      account: '${SNOWFLAKE_ACCOUNT}',
      user: '${SNOWFLAKE_USER}',
      password: '${SNOWFLAKE_PASSWORD}',
      database: '${SNOWFLAKE_DATABASE}',
      schema: 'SOAK',
      host: '${SNOWFLAKE_HOST}',
      port: '${SNOWFLAKE_PORT}',
      protocol: 'http',
    },
    // A look-back covers the writer's transactions that commit just after a run reads its high-water
    // (the soak measures stability; late commits have their own tests).
    tables: [
      {
        name: `${SOAK_TABLE.schema}.${SOAK_TABLE.name}`,
        mode: 'incremental_merge',
        cursor: 'updated_at',
        lookback: '1 minute',
      },
    ],
  };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string', default: '60' },
      every: { type: 'string', default: '15s' },
      rows: { type: 'string', default: '50000' },
      out: { type: 'string', default: 'bench/results' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const minutes = Number(values.minutes);
  const rows = Number(values.rows);
  if (!(minutes > 0) || !(rows > 0)) throw new Error(`--minutes and --rows must be positive numbers\n${USAGE}`);
  const log = (line: string) => console.log(`soak: ${line}`);
  const startedAt = new Date();
  const loadAverageAtStart = loadavg();

  log('starting Temporal, PostgreSQL and the Snowflake emulator…');
  const services = await startLocalServices({ reuseTemporalAddress: false });
  const scratch = mkdtempSync(join(tmpdir(), 'conduit-soak-'));
  const env = toEnv(services);
  const document = soakPipeline();
  const config = parsePipeline(document, 'soak', { env });
  const pg = await connectPostgres(config.source);
  const writerClient = await connectPostgres(config.source);
  const file = join(scratch, 'pipeline.json');
  writeFileSync(file, JSON.stringify(document));
  const metricsPort = await freePort();
  const worker = spawn(
    process.execPath,
    [resolve(__dirname, '../../bin/conduit.js'), 'worker', '--config', file, '--metrics-port', String(metricsPort)],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let workerOutput = '';
  const keep = (chunk: Buffer) => (workerOutput = (workerOutput + chunk.toString()).slice(-20_000));
  worker.stdout.on('data', keep);
  worker.stderr.on('data', keep);
  const exited = new Promise<void>((done) => worker.once('exit', () => done()));
  const client = await connectClient(config.temporal);
  try {
    await createSoakTable(pg, rows);
    await waitFor(
      () => workerOutput.includes('worker serving'),
      120_000,
      () => workerOutput,
    );
    const schedule = await createPipelineSchedule(client, config.temporal, { pipeline: 'soak', every: values.every });
    const writer = startSourceWriter(writerClient, { tickMs: 500, updates: 20, inserts: 10 });
    log(`schedule every ${values.every} for ${minutes} min; worker pid ${worker.pid}, metrics :${metricsPort}`);

    const samples: SoakSample[] = [];
    const until = Date.now() + minutes * 60_000;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, Math.min(SAMPLE_MS, Math.max(0, until - Date.now()))));
      const sample = await sampleWorker(metricsPort, (Date.now() - startedAt.getTime()) / 60_000);
      samples.push(sample);
      log(
        `${sample.minutes.toFixed(1)} min: RSS ${(sample.rssBytes / 1e6).toFixed(1)} MB, heap ` +
          `${(sample.heapBytes / 1e6).toFixed(1)} MB, resources ${sample.activeResources}, ` +
          `${sample.runsClosed} runs (${sample.runsFailed} failed)`,
      );
    }

    await writer.stop();
    await schedule.delete();
    // A last run after the writes stopped: the target must then equal the source.
    log('writes stopped; a final run…');
    await waitFor(
      async () => !(await runIsOpen(client)),
      600_000,
      () => 'the last scheduled run to end',
    );
    const final = await waitForRun(await startPipelineRun(client, config.temporal, { pipeline: 'soak' }));
    if (!final.ok) throw new Error(`the final run failed: ${final.message}`);

    const results: SoakResults = {
      startedAt: startedAt.toISOString(),
      minutes,
      every: values.every,
      loadAverageAtStart,
      samples,
      runs: await closedRuns(client),
      writes: writer.counts(),
      content: await compareContent(config, pg),
      slopes: slopesAfterWarmUp(samples),
    };
    mkdirSync(values.out, { recursive: true });
    const base = join(values.out, `soak-${startedAt.toISOString().replace(/[:.]/g, '')}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(`${base}.md`, renderSoakMarkdown(results));
    writeFileSync(`${base}.svg`, renderSoakChart(results));
    log(`\n${renderSoakMarkdown(results)}`);
    log(`results: ${base}.json, ${base}.md, ${base}.svg`);
    const { lost, duplicated, stale, extra } = results.content;
    return lost + duplicated + stale + extra === 0 ? 0 : 1;
  } finally {
    worker.kill('SIGTERM');
    await exited;
    await Promise.allSettled([pg.end(), writerClient.end(), client.connection.close()]);
    await services.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function sampleWorker(port: number, minutes: number): Promise<SoakSample> {
  const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  const runs = sumOf(metrics, 'conduit_pipeline_run_duration_seconds_count');
  const failed = sumOf(metrics, 'conduit_pipeline_run_duration_seconds_count', { outcome: 'failed' });
  return {
    minutes,
    rssBytes: sumOf(metrics, 'process_resident_memory_bytes'),
    heapBytes: sumOf(metrics, 'nodejs_heap_used_bytes'),
    externalBytes: sumOf(metrics, 'nodejs_external_memory_bytes'),
    activeResources: sumOf(metrics, 'nodejs_active_resources'),
    eventLoopDelayP99Seconds: sumOf(metrics, 'nodejs_eventloop_delay_p99_seconds'),
    runsClosed: runs,
    runsFailed: failed,
  };
}

const RUNS_QUERY = `WorkflowType = "pipelineRun" AND ConduitPipeline = "soak"`;

async function runIsOpen(client: Awaited<ReturnType<typeof connectClient>>): Promise<boolean> {
  for await (const _ of client.workflow.list({ query: `${RUNS_QUERY} AND ExecutionStatus = "Running"` })) return true;
  return false;
}

async function closedRuns(client: Awaited<ReturnType<typeof connectClient>>): Promise<SoakResults['runs']> {
  const runs: SoakResults['runs'] = [];
  for await (const run of client.workflow.list({ query: `${RUNS_QUERY} AND ExecutionStatus != "Running"` })) {
    const seconds = run.closeTime ? (run.closeTime.getTime() - run.startTime.getTime()) / 1000 : 0;
    runs.push({ seconds, historyLength: run.historyLength, status: run.status.name });
  }
  return runs;
}

/** Source and target by key and version: a lost, repeated, stale or extra row each counts. */
async function compareContent(
  config: ReturnType<typeof parsePipeline>,
  pg: Awaited<ReturnType<typeof connectPostgres>>,
) {
  const source = new Map<string, string>();
  const { rows } = await pg.query<{ id: string; version: string }>(
    `SELECT id::text, version::text FROM "${SOAK_TABLE.schema}"."${SOAK_TABLE.name}"`,
  );
  for (const row of rows) source.set(row.id, row.version);
  const destination = config.destination;
  if (destination.type !== 'snowflake') throw new Error('the soak test loads into the Snowflake emulator');
  const { database, schema } = destination;
  const target = await withSnowflake(destination, (session) =>
    session.query<{ id: string; version: string }>(
      `SELECT "id"::VARCHAR AS "id", "version"::VARCHAR AS "version" FROM ` +
        `"${database}"."${schema}"."${SOAK_TABLE.name}"`,
    ),
  );
  const seen = new Map<string, number>();
  let stale = 0;
  let extra = 0;
  for (const row of target) {
    seen.set(row.id, (seen.get(row.id) ?? 0) + 1);
    const version = source.get(row.id);
    if (version === undefined) extra += 1;
    else if (version !== row.version) stale += 1;
  }
  return {
    sourceRows: source.size,
    targetRows: target.length,
    lost: [...source.keys()].filter((id) => !seen.has(id)).length,
    duplicated: [...seen.values()].filter((count) => count > 1).length,
    stale,
    extra,
  };
}

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
