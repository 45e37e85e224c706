/**
 * Bad input through the real CLI (`node bin/conduit.js run --worker` / `validate`, built by
 * `npm test`) against the real services: each case must exit with its documented code, print a
 * message that names the problem and what to check, end without retrying for ever, and write
 * nothing to the destination. Timings and outcomes go to test-artifacts/bad-input.json for
 * docs/reliability-input.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeConnection } from '@temporalio/worker';
import { parsePipeline } from '../../src/config/load';
import { quoteIdent as sfQuote } from '../../src/connectors/snowflake/dialect';
import { freePort } from '../../src/dev/ports';
import { createConduitWorker } from '../../src/worker';
import { runConduit } from '../support/cli-worker';
import { Harness, workflowBundle } from '../support/harness';
import { sharedServices } from '../support/services';
import { scratchDir } from '../support/scratch';
import { known } from '../../src/invariant';

const S = 'bad_src';
const harness = new Harness(sharedServices(), { sourceSchema: S });
const NOACCESS_PASSWORD = `noaccess-${Date.now()}`;
const results: {
  case: string;
  command: string;
  exitCode: number | null;
  seconds: number;
  destinationObjects: number;
  message: string;
}[] = [];

beforeAll(async () => {
  await harness.start();
  await harness.pg.query(`CREATE TABLE ${S}.good (id int PRIMARY KEY, v text)`);
  await harness.pg.query(`INSERT INTO ${S}.good SELECT g, 'v' || g FROM generate_series(1, 100) g`);
  await harness.pg.query(`CREATE TABLE ${S}.victim (id int)`);
  // pg_node_tree, PostgreSQL's internal planner trees: a type with no mapping (every user-facing type has one).
  await harness.pg.query(`CREATE TABLE ${S}.shapes (id int PRIMARY KEY, p pg_node_tree)`);
  await harness.pg.query(`DROP ROLE IF EXISTS bad_noaccess`);
  // May log in and see the schema, but has no SELECT on its tables.
  await harness.pg.query(`CREATE ROLE bad_noaccess LOGIN PASSWORD '${NOACCESS_PASSWORD}'`);
  await harness.pg.query(`GRANT USAGE ON SCHEMA ${S} TO bad_noaccess`);
});
afterAll(async () => {
  mkdirSync(resolve(__dirname, '../../test-artifacts'), { recursive: true });
  writeFileSync(resolve(__dirname, '../../test-artifacts/bad-input.json'), `${JSON.stringify(results, null, 2)}\n`);
  await harness.pg.query(`DROP OWNED BY bad_noaccess`).catch(() => undefined);
  await harness.pg.query(`DROP ROLE IF EXISTS bad_noaccess`).catch(() => undefined);
  await harness.stop();
});

interface Case {
  name: string;
  /**
   * The pipeline document: fields over the case's base document (a function derives them from it), or raw file text.
   */
  pipeline: Record<string, unknown> | ((base: Document) => Promise<Record<string, unknown>>) | string;
  command?: 'run' | 'validate';
  args?: string[];
  env?: Record<string, string>;
  exitCode: number;
  /** The message names the problem… */
  problem: RegExp;
  /** …and what to check or do about it. */
  advice: RegExp;
}

interface Document {
  source: Record<string, unknown>;
  destination: Record<string, unknown>;
}
// Where `run --worker` writes its worker's log: removed after the file, with the other scratch folders.
const LOG_DIR = scratchDir('bad-input-logs');
const HOSTILE = `x"; DROP TABLE ${S}.victim; --`;

const CASES: Case[] = [
  {
    name: 'malformed YAML',
    pipeline: 'name: [unclosed\nsource: {',
    exitCode: 2,
    problem: /not valid YAML or JSON/,
    advice: /pipeline\.yaml: invalid pipeline definition/,
  },
  {
    name: 'malformed YAML (validate)',
    command: 'validate',
    pipeline: 'name: [unclosed\n',
    exitCode: 2,
    problem: /not valid YAML or JSON/,
    advice: /invalid pipeline definition/,
  },
  {
    name: 'unknown keys',
    pipeline: { sorce: {}, settings: { partitonRows: 5 } },
    exitCode: 2,
    problem: /`sorce`: unknown key[\s\S]*`settings\.partitonRows`: unknown key/,
    advice: /known here: .*partitionRows/,
  },
  {
    name: 'unknown keys (validate)',
    command: 'validate',
    pipeline: { settings: { snapshot: 'sometimes' } },
    exitCode: 2,
    problem: /`settings\.snapshot`: "sometimes"/,
    advice: /one of auto, consistent, per_partition/,
  },
  {
    name: 'password written in the file',
    pipeline: async ({ source }) => ({ source: { ...source, password: 'hunter2-literal' } }),
    exitCode: 2,
    problem: /`source\.password`: write a reference to an environment variable/,
    advice: /\$\{SNOWFLAKE_PASSWORD\}/,
  },
  {
    name: 'password variable not set',
    pipeline: async ({ source }) => ({ source: { ...source, password: '${CONDUIT_TEST_UNSET_PASSWORD}' } }),
    exitCode: 2,
    problem: /`source\.password`: environment variable CONDUIT_TEST_UNSET_PASSWORD is not set/,
    advice: /environment variable/,
  },
  {
    name: 'unknown table',
    pipeline: { tables: [`${S}.nope`] },
    exitCode: 1,
    problem: /table "bad_src"\."nope" named in .* does not exist in the source/,
    advice: /or the user cannot see it/,
  },
  {
    name: 'hostile table name, unquoted',
    pipeline: { tables: [`${S}.${HOSTILE}`] },
    exitCode: 2,
    problem: /is not schema\.table/,
    advice: /quote a part/,
  },
  {
    name: 'hostile table name, quoted',
    pipeline: { tables: [`${S}."${HOSTILE.replace(/"/g, '""')}"`] },
    exitCode: 1,
    problem: /table "bad_src"\."x""; DROP TABLE bad_src\.victim; --" named in .* does not exist/,
    advice: /or the user cannot see it/,
  },
  {
    name: 'hostile --table argument',
    pipeline: {},
    args: ['--table', `${S}.${HOSTILE}`],
    exitCode: 1,
    problem: /is not part of pipeline/,
    advice: /its tables: bad_src\.good/,
  },
  {
    name: 'wrong PostgreSQL password',
    pipeline: { tables: [`${S}.good`] },
    env: { PG_PASSWORD: 'wrong-password-for-test' },
    exitCode: 3,
    problem: /source authentication failed/,
    advice: /check source\.user and the password variable/,
  },
  {
    name: 'wrong Snowflake password',
    pipeline: { tables: [`${S}.good`] },
    env: { SF_PASSWORD: 'wrong-password-for-test' },
    exitCode: 3,
    problem: /snowflake .*FAILED Snowflake login refused \(390100\) .*Incorrect username or password was specified/,
    advice: /check destination\.account \(or host, port, protocol\), user and the password variable/,
  },
  {
    name: 'missing SELECT privilege',
    pipeline: async ({ source }) => ({
      tables: [`${S}.good`],
      source: { ...source, user: 'bad_noaccess', password: '${NOACCESS_PASSWORD}' },
    }),
    env: { NOACCESS_PASSWORD },
    exitCode: 1,
    problem: /insufficient privilege on the source[\s\S]*permission denied for table good/,
    advice: /grant the pipeline's user USAGE on the schema and SELECT on the table/,
  },
  {
    name: 'unknown source database',
    pipeline: async ({ source }) => ({ tables: [`${S}.good`], source: { ...source, database: 'no_such_db' } }),
    exitCode: 3,
    problem: /source database does not exist/,
    advice: /check source\.database/,
  },
  {
    name: 'unreachable PostgreSQL port',
    pipeline: async ({ source }) => ({ tables: [`${S}.good`], source: { ...source, port: await freePort() } }),
    exitCode: 3,
    problem: /postgres .*FAILED .*ECONNREFUSED/,
    advice: /check source\.host, port/,
  },
  {
    name: 'unresolvable PostgreSQL host',
    pipeline: async ({ source }) => ({ tables: [`${S}.good`], source: { ...source, host: 'no-such-host.invalid' } }),
    exitCode: 3,
    problem: /postgres .*FAILED .*(ENOTFOUND|EAI_AGAIN)/,
    advice: /check source\.host, port/,
  },
  {
    name: 'unreachable Snowflake',
    pipeline: async ({ destination }) => ({
      tables: [`${S}.good`],
      destination: { ...destination, port: await freePort() },
    }),
    exitCode: 3,
    problem: /snowflake .*FAILED .*ECONNREFUSED/,
    advice: /check destination\.account/,
  },
  {
    name: 'unreachable Temporal',
    pipeline: async () => ({ tables: [`${S}.good`], temporal: { address: `127.0.0.1:${await freePort()}` } }),
    exitCode: 3,
    problem: /temporal 127\.0\.0\.1:\d+ .*FAILED/,
    advice: /check temporal\.address/,
  },
  {
    name: 'unsupported column type',
    pipeline: { tables: [`${S}.shapes`] },
    exitCode: 1,
    problem: /"bad_src"\."shapes" has columns of types Conduit cannot carry exactly: "p" \(pg_node_tree\)/,
    advice: /leave them out with `columns: \{ exclude: \[\.\.\.\] \}` or carry PostgreSQL's text form/,
  },
];

/** Objects the case's pipeline left in its destination schema (none, when the schema does not exist). */
async function destinationObjects(schema: string): Promise<string[]> {
  const database = sfQuote(harness.config.destination.database);
  const exists = await harness.snowflake.query(
    `SELECT 1 FROM ${database}.INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = ?`,
    [schema],
  );
  if (exists.length === 0) return [];
  const tables = await harness.snowflake.query<{ name: string }>(
    `SELECT TABLE_NAME AS "name" FROM ${database}.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?`,
    [schema],
  );
  const stages = await harness.snowflake.query(`SHOW STAGES IN SCHEMA ${database}.${sfQuote(schema)}`);
  return [...tables.map((t) => t.name), ...stages.map((s) => `stage ${JSON.stringify(s)}`)];
}

function cli(args: string[], env: Record<string, string>) {
  return runConduit(args, { ...harness.env, CONDUIT_LOG_DIR: LOG_DIR, ...env });
}

describe('bad input', () => {
  it.each(CASES)('$name: exit $exitCode, a message naming it, nothing written', async (c) => {
    const name = `bad${results.length}${Date.now().toString(36)}`;
    const dir = scratchDir('bad');
    const file = join(dir, 'pipeline.yaml');
    const base = harness.pipelineDocument(name);
    const overrides = typeof c.pipeline === 'function' ? await c.pipeline(base as unknown as Document) : c.pipeline;
    writeFileSync(file, typeof overrides === 'string' ? overrides : JSON.stringify({ ...base, ...overrides }));
    const command = c.command ?? 'run';
    const args = [command, '--config', file, ...(command === 'run' ? ['--worker'] : []), ...(c.args ?? [])];
    const started = Date.now();
    const { code, output } = await cli(args, c.env ?? {});
    const seconds = (Date.now() - started) / 1000;
    const objects = await destinationObjects(`DST_${name.toUpperCase()}`);
    results.push({
      case: c.name,
      command,
      exitCode: code,
      seconds,
      destinationObjects: objects.length,
      message: output.trim().split('\n').slice(0, 6).join('\n'),
    });

    expect(code, output).toBe(c.exitCode);
    expect(output).toMatch(c.problem);
    expect(output).toMatch(c.advice);
    expect(output).not.toMatch(/hunter2-literal|wrong-password-for-test/);
    expect(objects).toEqual([]);
  });

  it.each([
    {
      service: 'PostgreSQL',
      env: { PG_PASSWORD: 'wrong-password-for-test' },
      message: new RegExp(
        /run failed: planning pipeline \S+: source authentication failed /.source +
          /\(wrong user or password: check source\.user and the password variable\)/.source,
      ),
      failedWorkflow: (name: string) => `conduit/${name}`,
    },
    {
      service: 'Snowflake',
      env: { SF_PASSWORD: 'wrong-password-for-test' },
      message: new RegExp(
        /run failed: 1 of 1 tables failed: bad_src\.good: .*Snowflake login refused \(390100\) /.source +
          /connecting to Snowflake at \S+ as conduit: Incorrect username or password was specified/.source,
      ),
      failedWorkflow: (name: string) => `conduit/${name}/${S}.good`,
    },
  ])(
    'a worker elsewhere with a wrong $service password: the run fails at once (no retries), exit 1',
    async ({ service, env, message, failedWorkflow }) => {
      // No preflight here: `conduit run` without --worker has no secrets; the worker finds the problem.
      const name = `badremote${Date.now().toString(36)}`;
      const document = { ...harness.pipelineDocument(name), tables: [`${S}.good`] };
      const config = parsePipeline(document, 'remote.yaml', { env: { ...harness.env, ...env } });
      const connection = await NativeConnection.connect({ address: config.temporal.address });
      const remote = await createConduitWorker({
        pipelines: [config],
        connection,
        workflowBundle: await workflowBundle(),
      });
      const running = remote.worker.run();
      try {
        const file = join(scratchDir('bad'), 'pipeline.yaml');
        writeFileSync(file, JSON.stringify(document));
        const begun = Date.now();
        const { code, output } = await cli(['run', '--config', file], {});
        const seconds = (Date.now() - begun) / 1000;
        const objects = await destinationObjects(`DST_${name.toUpperCase()}`);
        results.push({
          case: `wrong ${service} password, worker elsewhere`,
          command: 'run',
          exitCode: code,
          seconds,
          destinationObjects: objects.length,
          message: output.trim().split('\n').slice(0, 6).join('\n'),
        });
        expect(code, output).toBe(1);
        expect(output).toMatch(message);
        expect(output).not.toContain('wrong-password-for-test');
        expect(objects).toEqual([]);
        // The failing activity ran once: a permanent error is not retried.
        const history = await harness.client.workflow.getHandle(failedWorkflow(name)).fetchHistory();
        const failed = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes);
        const attempts = (history.events ?? []).flatMap((e) =>
          e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : [],
        );
        expect(failed).toHaveLength(1);
        expect(attempts.every((attempt) => attempt === 1)).toBe(true);
      } finally {
        remote.worker.shutdown();
        await running;
        await remote.close();
        await connection.close();
      }
    },
  );

  it('left the tables a hostile name tried to drop', async () => {
    const { rows } = await harness.pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${S}.victim`);
    expect(known(rows[0], 'an aggregate SELECT returns one row').n).toBe(0);
  });
});
