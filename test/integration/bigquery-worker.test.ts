/**
 * A `conduit worker` loading PostgreSQL tables into BigQuery (the emulator) end to end: the extract
 * writes gzip because BigQuery declares only gzip, the run loads, verifies and replaces the target, and
 * a second run replaces it again (a copy over an existing table). Uses the compiled CLI (dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, runQuery } from '../../src/connectors/bigquery/client';
import {
  bigQueryEmulatorDestination,
  startBigQueryEmulator,
  type BigQueryEmulatorService,
} from '../../src/dev/bigquery-emulator';
import { CliWorkers, runConduit, writePipelineFile } from '../support/cli-worker';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

const S = 'bqw_src';
const harness = new Harness(sharedServices(), { sourceSchema: S });
const workers = new CliWorkers();
let emulator: BigQueryEmulatorService | undefined;

beforeAll(async () => {
  await harness.start();
  emulator = await startBigQueryEmulator();
  await harness.pg.query(
    `CREATE TABLE ${S}.items (id bigint PRIMARY KEY, label text, price numeric(12,2), added timestamptz, ` +
      `tags int[], raw bytea, flag boolean)`,
  );
  await harness.pg.query(
    `INSERT INTO ${S}.items SELECT g, CASE WHEN g % 10 = 0 THEN '' ELSE 'item ' || g END, g * 1.25, ` +
      `timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute', ARRAY[g, NULL], '\\x00ff'::bytea, g % 2 = 0 ` +
      `FROM generate_series(1, 2500) g`,
  );
});
afterAll(async () => {
  await workers.killAll();
  await emulator?.stop();
  await harness.stop();
});

async function runOnce(
  name: string,
  service: BigQueryEmulatorService,
  overrides?: Record<string, unknown>,
): Promise<void> {
  const document = harness.pipelineDocument(name, overrides);
  document.destination = {
    type: 'bigquery',
    project: service.project,
    dataset: 'landing',
    apiEndpoint: service.apiEndpoint,
  };
  const file = writePipelineFile(document);
  const worker = workers.start(file, harness.env);
  await worker.ready();
  const run = await runConduit(['run', '--config', file], harness.env);
  expect(run.code, run.output).toBe(0);
  expect((await worker.stop()).code).toBe(0);
}

describe('a worker loading into BigQuery', () => {
  it('loads a table whole, and replaces it on the next run', async () => {
    const service = emulator;
    if (!service) throw new Error('the BigQuery emulator did not start');
    const client = createClient(bigQueryEmulatorDestination(service, 'landing'));
    const check =
      `SELECT COUNT(*) AS n, CAST(SUM(price) AS STRING) AS total, COUNTIF(label = '') AS empty, ` +
      `COUNTIF(label IS NULL) AS nulls, MAX(TO_JSON_STRING(tags)) AS tags, MAX(TO_HEX(raw)) AS raw, ` +
      `COUNTIF(flag) AS flagged, FORMAT_TIMESTAMP('%FT%TZ', MAX(added)) AS last ` +
      `FROM \`${service.project}\`.landing.items`;
    const expected = {
      n: 2500,
      empty: 250,
      nulls: 0,
      tags: '[999,null]',
      raw: '00ff',
      flagged: 1250,
      last: '2024-01-02T17:40:00Z',
    };
    await runOnce('bqw', service);
    const [first] = await runQuery(client, check);
    expect(first).toMatchObject(expected);
    expect(String(first?.total)).toMatch(/^3907812\.50*$/);

    await harness.pg.query(`DELETE FROM ${S}.items WHERE id > 2000`);
    await runOnce('bqw', service);
    const [second] = await runQuery(client, check);
    expect(second).toMatchObject({ n: 2000, flagged: 1000 });
    const [tables] = await client.dataset('landing').getTables();
    expect(tables.map((t) => t.id).filter((id) => id?.includes('__conduit_'))).toEqual([]);
  });

  it('merges changed rows incrementally, with the cursor committed in the state table', async () => {
    const service = emulator;
    if (!service) throw new Error('the BigQuery emulator did not start');
    await harness.pg.query(`CREATE TABLE ${S}.people (id int PRIMARY KEY, name text, updated_at timestamptz NOT NULL)`);
    await harness.pg.query(
      `INSERT INTO ${S}.people SELECT g, 'person ' || g, ` +
        `timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' FROM generate_series(1, 300) g`,
    );
    const overrides = {
      tables: [{ name: `${S}.people`, mode: 'incremental_merge', cursor: 'updated_at' }],
    };
    await runOnce('bqw_inc', service, overrides);
    await harness.pg.query(
      `UPDATE ${S}.people SET name = name || ' v2', ` +
        `updated_at = timestamptz '2024-02-01 00:00:00+00' + id * interval '1 second' WHERE id <= 10`,
    );
    await harness.pg.query(`INSERT INTO ${S}.people VALUES (301, 'person 301', timestamptz '2024-02-02 00:00:00+00')`);
    await runOnce('bqw_inc', service, overrides);
    const client = createClient(bigQueryEmulatorDestination(service, 'landing'));
    const [counts] = await runQuery(
      client,
      `SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids, COUNTIF(ENDS_WITH(name, ' v2')) AS changed ` +
        `FROM \`${service.project}\`.landing.people`,
    );
    expect(counts).toMatchObject({ n: 301, ids: 301, changed: 10 });
    const [state] = await runQuery(
      client,
      `SELECT CURSOR_VALUE AS cursor FROM \`${service.project}\`.landing._conduit_state WHERE TABLE_NAME = 'people'`,
    );
    expect(String(state?.cursor)).toContain('2024-02-02');
  });
});
