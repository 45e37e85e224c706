/**
 * A worker serving only DuckDB pipelines: loads a table end to end into a DuckDB file, and never loads
 * snowflake-sdk (destinations' SDKs are imported when a pipeline first opens a session). The same
 * worker with a Snowflake pipeline does load it, so the check can fail. Uses the compiled CLI (dist/).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliWorkers, runConduit, writePipelineFile } from '../support/cli-worker';
import { Harness } from '../support/harness';
import { scratchDir } from '../support/scratch';
import { sharedServices } from '../support/services';

const S = 'duckw_src';
const harness = new Harness(sharedServices(), { sourceSchema: S });
const workers = new CliWorkers();
const preload = resolve(__dirname, '../support/report-modules.cjs');

beforeAll(async () => {
  await harness.start();
  await harness.pg.query(`CREATE TABLE ${S}.items (id bigint PRIMARY KEY, label text, price numeric(12,2))`);
  await harness.pg.query(`INSERT INTO ${S}.items SELECT g, 'item ' || g, g * 1.25 FROM generate_series(1, 2500) g`);
});
afterAll(async () => {
  await workers.killAll();
  await harness.stop();
});

/** Runs the pipeline document once on a `conduit worker` child; returns the modules that worker loaded. */
async function runOnWorker(document: Record<string, unknown>): Promise<string[]> {
  const file = writePipelineFile(document);
  const modulesFile = join(scratchDir('modules'), 'loaded.txt');
  const env = {
    ...harness.env,
    NODE_OPTIONS: `--require ${preload}`,
    CONDUIT_TEST_MODULES_FILE: modulesFile,
  };
  const worker = workers.start(file, env);
  await worker.ready();
  const run = await runConduit(['run', '--config', file], harness.env);
  expect(run.code, run.output).toBe(0);
  expect((await worker.stop()).code).toBe(0);
  return readFileSync(modulesFile, 'utf8').split('\n');
}

const loadsSnowflakeSdk = (modules: string[]) => modules.some((path) => path.includes('node_modules/snowflake-sdk/'));

describe('a worker serving only DuckDB pipelines', () => {
  it('loads the table into the DuckDB file and never loads snowflake-sdk', async () => {
    const path = join(scratchDir('duckdb'), 'warehouse.duckdb');
    const document = harness.pipelineDocument('duckw');
    document.destination = { type: 'duckdb', path, schema: 'landing' };
    const modules = await runOnWorker(document);
    expect(loadsSnowflakeSdk(modules)).toBe(false);
    expect(modules.some((m) => m.includes('node_modules/@duckdb/'))).toBe(true);

    const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    try {
      const connection = await instance.connect();
      const reader = await connection.runAndReadAll(
        'SELECT COUNT(*)::INTEGER AS n, SUM(price)::VARCHAR AS total FROM landing.items',
      );
      expect(reader.getRowObjectsJson()).toEqual([{ n: 2500, total: '3907812.50' }]);
      connection.closeSync();
    } finally {
      instance.closeSync();
    }
  });

  it('the same worker with a Snowflake pipeline loads snowflake-sdk (the check above can fail)', async () => {
    const modules = await runOnWorker(harness.pipelineDocument('duckw_sf'));
    expect(loadsSnowflakeSdk(modules)).toBe(true);
  });
});
