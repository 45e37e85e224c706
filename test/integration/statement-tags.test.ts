/**
 * Cost attribution (docs/operations.md, "Cost per pipeline and table"): every statement a run sends the warehouse
 * carries a QUERY_TAG naming pipeline, table, run and step, read back from the emulator's query history as an
 * operator reads Snowflake's; the run's table results report the warehouse time of its statements.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/summary';
import { field, valueText } from '../../src/connectors/snowflake/connection';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

const S = 'qtag_src';
const harness = new Harness(sharedServices(), { sourceSchema: S });

interface Tag {
  app: string;
  pipeline?: string;
  table?: string;
  run?: string;
  step: string;
}

interface Statement {
  session: string | null;
  text: string;
  tag: Tag;
  elapsedMs: number;
}

beforeAll(async () => {
  await harness.start();
  await harness.pg.query(`CREATE TABLE ${S}.orders (id int PRIMARY KEY, v text)`);
  // 2,500 rows in partitions of 1,000: three PUTs per run.
  await harness.pg.query(`INSERT INTO ${S}.orders SELECT g, 'v' || g FROM generate_series(1, 2500) g`);
});
afterAll(async () => {
  await harness.stop();
});

/**
 * Every statement of the worker's sessions for the pipeline, oldest first: the sessions that named its target schema
 * (the in-process worker keeps sessions per pipeline and serves only this one), the test's own session left out.
 */
async function runStatements(): Promise<Statement[]> {
  const own = await harness.snowflake.query(
    'SELECT DISTINCT SESSION_ID FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY_BY_SESSION(RESULT_LIMIT => 2000))',
  );
  const ownSessions = new Set(own.map((row) => valueText(field(row, 'SESSION_ID'))));
  const rows = await harness.snowflake.query(
    'SELECT SESSION_ID, QUERY_TEXT, QUERY_TAG, TOTAL_ELAPSED_TIME ' +
      'FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 2000)) ORDER BY START_TIME',
  );
  const all = rows
    .map((row) => ({
      session: valueText(field(row, 'SESSION_ID')),
      text: valueText(field(row, 'QUERY_TEXT')) ?? '',
      tag: JSON.parse(valueText(field(row, 'QUERY_TAG')) || '{}') as Tag,
      elapsedMs: Number(field(row, 'TOTAL_ELAPSED_TIME')),
    }))
    .filter((statement) => !ownSessions.has(statement.session));
  const workerSessions = new Set(all.filter((s) => s.text.includes(harness.targetSchema)).map((s) => s.session));
  return all.filter((statement) => workerSessions.has(statement.session));
}

const verb = (text: string) => text.trim().split(/\s+/)[0]?.toUpperCase();

describe('statement tags', () => {
  it('tags each statement of a run with pipeline, table, run and step; reports the warehouse time', async () => {
    const first = await harness.runOk();
    const second = await harness.runOk(); // the target exists now: swapped, not renamed

    const statements = await runStatements();
    expect(new Set(statements.map((s) => verb(s.text)))).toEqual(
      new Set(['ALTER', 'CREATE', 'PUT', 'COPY', 'SELECT', 'DROP']),
    );
    // Those that name no object in the text too: the login's ALTER SESSION, lookups with bound names.
    expect(statements.some((s) => !s.text.includes(harness.targetSchema))).toBe(true);
    for (const { text, tag } of statements)
      expect(tag, text).toMatchObject({ app: 'conduit', pipeline: harness.config.name, table: `${S}.orders` });
    const steps = (kind: RegExp) => new Set(statements.filter((s) => kind.test(s.text)).map((s) => s.tag.step));
    expect(steps(/^PUT /)).toEqual(new Set(['extractPartition']));
    expect(steps(/^COPY INTO /)).toEqual(new Set(['loadTable']));
    expect(steps(/ SWAP WITH /)).toEqual(new Set(['swapTable']));
    expect(steps(/^DROP (TABLE|STAGE) /)).toEqual(new Set(['cleanupTable']));
    expect(statements.filter((s) => /^PUT /.test(s.text))).toHaveLength(6);

    // Each run's steps after the extract carry its run key (which names its stage); the two runs differ.
    const runs = new Set(statements.filter((s) => s.tag.step !== 'extractPartition').map((s) => s.tag.run));
    expect(runs.size).toBe(2);
    for (const run of runs) expect(run).toMatch(/^[0-9a-f]{12}$/);

    for (const outcome of [first, second]) {
      const [table] = outcome.result.tables;
      expect(table?.warehouseSeconds).toBeGreaterThan(0);
      expect(table?.warehouseSeconds).toBeLessThan(table?.seconds ?? 0);
    }
    // The worker times each statement from request to answer: never less than the emulator's own elapsed time.
    const [firstRun] = runs;
    const timedInResult = statements.filter(
      (s) => s.tag.run === firstRun && ['prepareTable', 'loadTable'].includes(s.tag.step),
    );
    const emulatorSeconds = timedInResult.reduce((sum, s) => sum + s.elapsedMs, 0) / 1000;
    const [firstTable] = first.result.tables;
    expect(firstTable?.warehouseSeconds ?? 0).toBeGreaterThanOrEqual(emulatorSeconds - 0.01);

    const summary = formatSummary(first.result);
    expect(summary).toMatch(/rows\/s\s+warehouse s/);
    expect(summary).toMatch(new RegExp(`${S}\\.orders .* ${(firstTable?.warehouseSeconds ?? 0).toFixed(2)}`));
  });
});
