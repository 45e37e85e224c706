/**
 * `npm run bench`: the reproducible benchmark of issue 5. See docs/performance.md for the method
 * and `npm run bench -- --help` for the options.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildWorkflowBundle } from '../build-bundle';
import { resolveCodec } from '../connectors/compression';
import { startLocalServices } from '../dev/services';
import { runBenchmark } from './benchmark';
import { renderChart } from './chart';
import { LARGE_ROWS, parseBenchArgs, UsageError, USAGE, type BenchOptions } from './options';
import { createBenchDatabase } from './source';
import { startPostgres } from '../dev/postgres';
import { renderWindowMarkdown, runWindowBench } from './incremental-window';
import { renderMarkdown } from './report';
import type { BenchServices } from './run-case';
import { WORKER_PROCESS_SETTINGS } from '../worker';

/** Services named by the environment (as `conduit dev` prints them), when all three are there. */
function servicesFromEnv(env: NodeJS.ProcessEnv): BenchServices | undefined {
  const { TEMPORAL_ADDRESS, PGHOST, PGPORT, PGUSER, PGDATABASE, SNOWFLAKE_HOST, SNOWFLAKE_PORT } = env;
  if (!TEMPORAL_ADDRESS || !PGHOST || !PGPORT || !PGUSER || !PGDATABASE || !SNOWFLAKE_HOST || !SNOWFLAKE_PORT)
    return undefined;
  return {
    temporal: { address: TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE || 'default' },
    postgres: {
      host: PGHOST,
      port: Number(PGPORT),
      user: PGUSER,
      password: env.PGPASSWORD ?? '',
      database: PGDATABASE,
    },
    snowflake: {
      host: SNOWFLAKE_HOST,
      port: Number(SNOWFLAKE_PORT),
      protocol: 'http',
      account: env.SNOWFLAKE_ACCOUNT || 'conduit',
      user: env.SNOWFLAKE_USER || 'conduit',
      password: env.SNOWFLAKE_PASSWORD || 'conduit',
      database: env.SNOWFLAKE_DATABASE || 'CONDUIT',
      schema: env.SNOWFLAKE_SCHEMA || 'PUBLIC',
      warehouse: env.SNOWFLAKE_WAREHOUSE || 'CONDUIT_WH',
    },
  };
}

function timestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const options = parseBenchArgs(argv);
  const log = (line: string) => console.log(line);
  if (options.incrementalWindow) return windowBench(options, options.incrementalWindow, log);

  // The worker loads the prebuilt workflow bundle; build it here (outside the measured worker) if stale.
  await buildWorkflowBundle(resolve(__dirname, '..'));

  const duckdb = options.destination === 'duckdb';
  const fromEnv = servicesFromEnv(process.env);
  log(
    fromEnv
      ? 'using the services named by the environment'
      : `starting Temporal, PostgreSQL${duckdb ? '' : ' and the Snowflake emulator'}…`,
  );
  const local = fromEnv
    ? undefined
    : duckdb
      ? await startLocalServices({ snowflake: false })
      : await startLocalServices();
  const stopServices = () => local?.stop();
  const onSignal = () => {
    void Promise.resolve(stopServices()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const services: BenchServices = fromEnv ?? {
      temporal: { address: local!.temporal.address, namespace: local!.temporal.namespace },
      postgres: local!.postgres,
      ...(local!.snowflake ? { snowflake: local!.snowflake } : {}),
    };
    const results = await runBenchmark(
      services,
      {
        rows: options.rows,
        partitions: options.partitions,
        repeat: options.repeat,
        baselineRepeat: options.baselineRepeat,
        cpuProfileDir: options.cpuProfileDir,
        workerNodeFlags: options.workerNodeFlags ?? [...WORKER_PROCESS_SETTINGS.nodeFlags],
        workerEnv: options.workerEnv ?? { ...WORKER_PROCESS_SETTINGS.env },
        bundleAtStart: options.bundleAtStart,
        compression: resolveCodec(options.compression),
        services: fromEnv ? 'environment' : 'started',
        destination: options.destination,
      },
      log,
    );
    mkdirSync(options.outDir, { recursive: true });
    const base = join(options.outDir, timestamp(new Date(results.startedAt)));
    const markdown = renderMarkdown(results);
    writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(`${base}.md`, markdown);
    writeFileSync(`${base}.svg`, renderChart(results));
    log(`\n${markdown}`);
    log(`results: ${base}.json, ${base}.md, ${base}.svg`);
    return results.cases.every((c) => c.run.ok) ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stopServices();
  }
}

/** The incremental window bench: PostgreSQL only, the environment's (PG*) or a throwaway one. */
async function windowBench(
  options: BenchOptions,
  changes: NonNullable<BenchOptions['incrementalWindow']>,
  log: (line: string) => void,
): Promise<number> {
  const fromEnv = servicesFromEnv(process.env)?.postgres;
  const local = fromEnv ? undefined : await startPostgres();
  try {
    const database = await createBenchDatabase(fromEnv ?? local!);
    try {
      const rows = options.rows.at(-1) ?? LARGE_ROWS;
      const result = await runWindowBench(database.endpoint, { rows, ...changes, repeat: options.repeat }, log);
      mkdirSync(options.outDir, { recursive: true });
      const base = join(options.outDir, `${timestamp(new Date())}-incremental-window-${changes.changes}`);
      const markdown = renderWindowMarkdown(result);
      writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
      writeFileSync(`${base}.md`, markdown);
      log(`\n${markdown}`);
      log(`results: ${base}.json, ${base}.md`);
      return result.variants.every((v) => v.rows === result.variants[0]?.rows) ? 0 : 1;
    } finally {
      await database.drop();
    }
  } finally {
    await local?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(
      error instanceof UsageError
        ? `${error.message}\n\n${USAGE}`
        : error instanceof Error
          ? (error.stack ?? error.message)
          : error,
    );
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
