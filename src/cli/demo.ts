import { resolve } from 'node:path';
import { Client } from 'pg';
import { loadPipelineFile } from '../config/load';
import type { DestinationType } from '../shared';
import { provisionLocalTools } from '../dev/provision';
import { startLocalServices, toEnv } from '../dev/services';
import { createDemoTables } from './demo-data';
import { runCommand } from './run';
import type { WorkerLog } from './worker-log';

/** Rows in the demo's main table; its second table gets half as many. */
const DEMO_ROWS = 300_000;

/**
 * `conduit demo`: the whole product on local defaults. Starts the local services, creates the sample
 * tables, runs the demo pipeline with a worker in this process and prints the summary. On a terminal
 * the services stay up for exploring the Temporal UI until Ctrl-C; otherwise they stop at once.
 * Into DuckDB it needs no emulator: the tables land in a file in the working directory.
 */
export async function demoCommand(destination: DestinationType, workerLog?: WorkerLog): Promise<number> {
  const out = process.stdout;
  const duckdb = destination === 'duckdb';
  await provisionLocalTools({ emulator: !duckdb });
  out.write(`starting Temporal, PostgreSQL${duckdb ? '' : ' and the Snowflake emulator'}…\n`);
  const services = duckdb ? await startLocalServices({ snowflake: false }) : await startLocalServices();
  const databaseFile = resolve(process.env.CONDUIT_DEMO_DUCKDB ?? 'conduit-demo.duckdb');
  try {
    if (duckdb) process.env.CONDUIT_DEMO_DUCKDB = databaseFile;
    Object.assign(process.env, toEnv(services));
    const source = new Client({
      host: services.postgres.host,
      port: services.postgres.port,
      user: services.postgres.user,
      password: services.postgres.password,
      database: services.postgres.database,
    });
    await source.connect();
    try {
      out.write(`creating demo.orders (${DEMO_ROWS.toLocaleString('en-US')} rows) and demo."OrderItems"…\n`);
      await createDemoTables(source, DEMO_ROWS);
    } finally {
      await source.end();
    }

    const file = duckdb ? 'demo-duckdb-pipeline.yaml' : 'demo-pipeline.yaml';
    const config = loadPipelineFile(resolve(__dirname, '../../examples', file));
    const ok = await runCommand({ config, embeddedWorker: true, workerLog });
    if (ok && duckdb) {
      out.write(
        `\nThe tables are in ${databaseFile} (schema demo). Query them with the DuckDB CLI:\n` +
          `  duckdb ${databaseFile} "SELECT COUNT(*) FROM demo.orders"\n` +
          `or from Python: python3 -c "import duckdb; print(duckdb.connect('${databaseFile}', read_only=True)` +
          `.sql('SELECT COUNT(*) FROM demo.orders'))"\n`,
      );
    }
    out.write(`\nTemporal UI: ${services.temporal.uiUrl}/namespaces/${services.temporal.namespace}/workflows\n`);
    if (ok && out.isTTY && process.stdin.isTTY) {
      out.write('The services stay up so you can look around; press Ctrl-C to stop them.\n');
      await new Promise<void>((done) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => done());
      });
    }
    return ok ? 0 : 1;
  } finally {
    await services.stop();
  }
}
