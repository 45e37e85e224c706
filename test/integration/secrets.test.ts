/**
 * Secrets never reach Temporal or the logs. A `node bin/conduit.js worker` process serves two
 * pipelines with distinctive PostgreSQL and Snowflake passwords (a password-authenticated role, and
 * a Snowflake user created with its password). Runs started with `conduit run` succeed for one table and fail for
 * others (an unsupported type; a source database that does not exist; a Snowflake endpoint that
 * answers garbage, where a driver might echo its request). Then the FULL history of every workflow
 * of those runs (parents, tables, extract batches: inputs, results, failures, signals, memo, search
 * attributes), live descriptions taken during the runs (pending activities' heartbeat details), the
 * worker's output at DEBUG and the CLI's output are scanned: neither password appears anywhere,
 * while the scan demonstrably saw payloads (table names, heartbeat details, failure messages).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineWorkflowId } from '../../src/ids';
import { CliWorkers, runConduit } from '../support/cli-worker';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';
import { scratchDir } from '../support/scratch';

const S = 'sec_src';
const harness = new Harness(sharedServices(), { sourceSchema: S });
const PG_SECRET = `pgS3cret-${randomUUID()}`;
const SF_SECRET = `sfS3cret-${randomUUID()}`;
const ROLE = 'sec_reader';
const SF_USER = 'SEC_LOADER';
const workers = new CliWorkers();

beforeAll(async () => {
  await harness.start();
  await harness.pg.query(`CREATE TABLE ${S}.orders (id bigint PRIMARY KEY, note text)`);
  await harness.pg.query(`INSERT INTO ${S}.orders SELECT g, 'order ' || g FROM generate_series(1, 60000) g`);
  // pg_node_tree (PostgreSQL's internal planner trees) has no mapping.
  await harness.pg.query(`CREATE TABLE ${S}.shapes (id int PRIMARY KEY, p pg_node_tree)`);
  await harness.pg.query(`DROP ROLE IF EXISTS ${ROLE}`);
  await harness.pg.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PG_SECRET}'`);
  await harness.pg.query(`GRANT USAGE ON SCHEMA ${S} TO ${ROLE}`);
  await harness.pg.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${S} TO ${ROLE}`);
  await harness.snowflake.query(`CREATE OR REPLACE USER ${SF_USER} PASSWORD = '${SF_SECRET}'`);
});
afterAll(async () => {
  await workers.killAll();
  await harness.pg.query(`DROP OWNED BY ${ROLE}`).catch(() => undefined);
  await harness.pg.query(`DROP ROLE IF EXISTS ${ROLE}`).catch(() => undefined);
  await harness.snowflake.query(`DROP USER IF EXISTS ${SF_USER}`).catch(() => undefined);
  await harness.stop();
});

/**
 * JSON of a history or description with every payload decoded: payload bytes (base64 in fetched
 * histories, byte arrays in descriptions) become the text they hold, so values are scanned as
 * written. The raw form is kept too, in case a secret sat in some other encoded field.
 */
function serialise(value: unknown): string {
  const raw = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
  );
  const payloads: string[] = [];
  const decode = (text: string) => (payloads.push(text), text);
  const decoded = JSON.stringify(value, (key, v: unknown) => {
    if (v instanceof Uint8Array) return decode(Buffer.from(v).toString('utf8'));
    if (key === 'data' && typeof v === 'string') return decode(Buffer.from(v, 'base64').toString('utf8'));
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
  return [raw, decoded, ...payloads].join('\n');
}

/** Asserts presence or absence without dumping megabytes of history into the report. */
function expectText(text: string, needle: string, present: boolean, what: string): void {
  expect(text.includes(needle), `${what}: ${present ? 'expected' : 'must not contain'} ${JSON.stringify(needle)}`).toBe(
    present,
  );
}

/** A workflow and, recursively, every child it started: each one's full history, as text. */
async function historyTree(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<{ ids: string[]; text: string }> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const history = await handle.fetchHistory();
  const ids = [workflowId];
  let text = serialise(history);
  for (const event of history.events ?? []) {
    const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
    if (child?.workflowId) {
      const sub = await historyTree(client, child.workflowId, child.runId ?? undefined);
      ids.push(...sub.ids);
      text += sub.text;
    }
  }
  return { ids, text };
}

function cli(args: string[], env: NodeJS.ProcessEnv) {
  return runConduit(args, env, 280_000);
}

describe('secrets', () => {
  it('appear nowhere in the full Temporal history of successful and failed runs, nor in the logs', async () => {
    const name = `sec${randomUUID().slice(0, 6)}`;
    const base = harness.pipelineDocument(name);
    const source = { ...(base.source as object), user: ROLE, password: '${SEC_PG_PASSWORD}' };
    const destination = { ...(base.destination as object), user: SF_USER, password: '${SEC_SF_PASSWORD}' };
    const dir = scratchDir('secrets');
    const files = {
      good: join(dir, 'good.yaml'),
      badDb: join(dir, 'bad-db.yaml'),
      badSf: join(dir, 'bad-sf.yaml'),
    };
    const pipelines = { good: name, badDb: `${name}db`, badSf: `${name}sf` };
    // orders: one partition at a time under a shared snapshot, so the run lasts past the first heartbeats.
    writeFileSync(
      files.good,
      JSON.stringify({
        ...base,
        source,
        destination,
        tables: [{ name: `${S}.orders`, maxParallelPartitions: 1, snapshot: 'consistent' }, `${S}.shapes`],
      }),
    );
    writeFileSync(
      files.badDb,
      JSON.stringify({
        ...base,
        name: pipelines.badDb,
        source: { ...source, database: 'no_such_db' },
        destination,
        tables: [`${S}.orders`],
      }),
    );
    // The Snowflake endpoint is PostgreSQL's port: the SDK gets an answer that is not HTTP.
    const pgPort = harness.services.postgres.port;
    writeFileSync(
      files.badSf,
      JSON.stringify({
        ...base,
        name: pipelines.badSf,
        source,
        destination: { ...destination, port: pgPort },
        tables: [`${S}.orders`],
      }),
    );
    for (const file of Object.values(files)) expect(readFileSync(file, 'utf8')).not.toContain('S3cret');

    const env = {
      ...process.env,
      SEC_PG_PASSWORD: PG_SECRET,
      SEC_SF_PASSWORD: SF_SECRET,
      CONDUIT_LOG_LEVEL: 'DEBUG',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const worker = workers.start(files.good, env, ['--config', files.badDb, '--config', files.badSf]);
    await worker.ready();

    // While the runs go: describe the table and its batch, for pending activities' heartbeat details.
    const live: string[] = [];
    const stop = new AbortController();
    const watched = [`conduit/${name}/${S}.orders`, `conduit/${name}/${S}.orders/partitions-0`];
    const watcher = (async () => {
      while (!stop.signal.aborted) {
        for (const id of watched) {
          const described = await harness.client.workflow
            .getHandle(id)
            .describe()
            .catch(() => undefined);
          if (described) live.push(serialise(described.raw));
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    // The CLI without --worker: it never reads the secrets, the worker process does.
    const cliEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const run = (file: string) => cli(['run', '--config', file], cliEnv);
    const runs = await Promise.all([run(files.good), run(files.badDb), run(files.badSf)]);
    stop.abort();
    await watcher;

    // Every run failed somewhere: the unsupported type, the missing database, the garbage endpoint.
    expect(runs.map((r) => r.code)).toEqual([1, 1, 1]);
    expect(runs[0].output).toMatch(/sec_src\.orders .* succeeded|sec_src\.orders\s+DST_\S+\s+succeeded/);
    expect(runs[1].output).toContain('database "no_such_db" does not exist');

    let history = '';
    const ids: string[] = [];
    for (const pipeline of Object.values(pipelines)) {
      const tree = await historyTree(harness.client, pipelineWorkflowId(pipeline));
      ids.push(...tree.ids);
      history += tree.text;
    }
    const everything = [history, ...live, worker.output(), ...runs.map((r) => r.output)].join('\n');

    // The scan saw the data it is meant to scan…
    expect(ids).toEqual(
      expect.arrayContaining([
        `conduit/${name}`,
        `conduit/${name}/${S}.orders`,
        `conduit/${name}/${S}.orders/partitions-0`,
        `conduit/${name}/${S}.shapes`,
      ]),
    );
    expectText(history, `"pipeline":"${name}"`, true, 'workflow inputs');
    expectText(history, 'part-000000', true, 'activity results');
    expectText(history, 'cannot carry exactly: \\"p\\" (pg_node_tree)', true, 'failures');
    expectText(history, 'no_such_db', true, 'failures of the second pipeline');
    expectText(history, 'socket hang up', true, 'failures of the third pipeline');
    expectText(history, '"generation":0', true, 'the snapshot signal');
    expectText(history, `"${name}"`, true, 'search attributes');
    expectText(live.join('\n'), '"phase":"holding"', true, "a pending activity's heartbeat details");
    expectText(worker.output(), 'extractPartition done', true, 'worker logs');
    // …and neither password is in any of it.
    for (const secret of [PG_SECRET, SF_SECRET, 'S3cret-'])
      expectText(everything, secret, false, 'history, descriptions and logs');

    expect((await worker.stop()).code).toBe(0);
  }, 300_000);
});
