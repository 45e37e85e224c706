/**
 * The Snowflake emulator's query history (emulator/conduit_query_history.py) through the real snowflake-sdk: each
 * statement with the QUERY_TAG in force for it (its own, sent with the statement, else the session's), read back
 * from TABLE(INFORMATION_SCHEMA.QUERY_HISTORY()) as on Snowflake, and a tag over 2,000 characters refused.
 */
import snowflake from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSnowflake, type SnowflakeSession } from '../../src/connectors/snowflake/connection';
import { emulatorDestination, startSnowflakeEmulator, type SnowflakeEmulator } from '../../src/dev/emulator';
import { withStatementTag } from '../../src/observability/statement-tag';

type Row = Record<string, unknown>;

let service: SnowflakeEmulator;
let product: SnowflakeSession;
let raw: snowflake.Connection;
// Undone in reverse in afterAll, also after a failed setup.
const cleanups: (() => Promise<void>)[] = [];

function connectRaw(): Promise<snowflake.Connection> {
  const connection = snowflake.createConnection({
    account: service.account,
    username: service.user,
    password: service.password,
    database: service.database,
    accessUrl: service.url,
    representNullAsStringNull: false,
  });
  return new Promise((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve(connection))));
}

function run(sqlText: string, parameters?: Record<string, string>): Promise<Row[]> {
  return new Promise((resolve, reject) =>
    raw.execute({
      sqlText,
      parameters,
      complete: (error, _statement, rows) => (error ? reject(error) : resolve((rows ?? []) as Row[])),
    }),
  );
}

async function refusal(promise: Promise<unknown>): Promise<snowflake.SnowflakeError> {
  try {
    await promise;
  } catch (error) {
    return error as snowflake.SnowflakeError;
  }
  throw new Error('the statement was expected to be refused');
}

/** The tags the history holds for statements whose text is `text`, oldest first. */
async function tagsOf(text: string): Promise<string[]> {
  const rows = await run(
    'SELECT QUERY_TEXT, QUERY_TAG FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 1000)) ' +
      'ORDER BY START_TIME',
  );
  return rows.filter((row) => row.QUERY_TEXT === text).map((row) => String(row.QUERY_TAG));
}

beforeAll(async () => {
  service = await startSnowflakeEmulator();
  cleanups.push(() => service.stop());
  product = await connectSnowflake(emulatorDestination(service));
  cleanups.push(() => product.close());
  raw = await connectRaw();
  cleanups.push(() => new Promise<void>((resolve) => raw.destroy(() => resolve())));
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('query history with QUERY_TAG', () => {
  it("records the product's per-statement tag, and a session's tag for statements that bring none", async () => {
    await withStatementTag({ step: 'probe', pipeline: 'p1', table: 'public.orders' }, () =>
      product.query('SELECT \'tagged by the product\' AS "v"'),
    );
    await run("SELECT 'untagged' AS V");
    await run("ALTER SESSION SET QUERY_TAG = 'nightly'");
    await run("SELECT 'session tagged' AS V");
    await run("SELECT 'statement tagged' AS V", { QUERY_TAG: 'own tag' });
    await run('ALTER SESSION UNSET QUERY_TAG');
    await run("SELECT 'after unset' AS V");

    const history = await run(
      'SELECT QUERY_TEXT, QUERY_TAG, EXECUTION_STATUS, TOTAL_ELAPSED_TIME ' +
        'FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 1000)) ORDER BY START_TIME',
    );
    const tagOf = (text: string) => history.filter((row) => row.QUERY_TEXT === text).map((row) => row.QUERY_TAG);
    expect(tagOf(`SELECT 'tagged by the product' AS "v"`)).toEqual([
      '{"app":"conduit","pipeline":"p1","table":"public.orders","step":"probe"}',
    ]);
    expect(tagOf("SELECT 'untagged' AS V")).toEqual(['']);
    expect(tagOf("SELECT 'session tagged' AS V")).toEqual(['nightly']);
    expect(tagOf("SELECT 'statement tagged' AS V")).toEqual(['own tag']);
    expect(tagOf("SELECT 'after unset' AS V")).toEqual(['']);
    const untagged = history.find((row) => row.QUERY_TEXT === "SELECT 'untagged' AS V");
    expect(untagged?.EXECUTION_STATUS).toBe('SUCCESS');
    expect(Number(untagged?.TOTAL_ELAPSED_TIME)).toBeGreaterThanOrEqual(0);
    // The product's login pinned its session parameters under the unscoped tag.
    expect(history.some((row) => String(row.QUERY_TEXT).startsWith('ALTER SESSION SET TIMEZONE'))).toBe(true);
    expect(await tagsOf("SELECT 'session tagged' AS V")).toEqual(['nightly']);
  });

  it('answers QUERY_HISTORY_BY_SESSION with the current session only, and honours RESULT_LIMIT', async () => {
    await product.query(`SELECT 'from the product session' AS "v"`);
    await run("SELECT 'from the raw session' AS V");
    const mine = await run(
      'SELECT QUERY_TEXT FROM TABLE(CONDUIT.INFORMATION_SCHEMA.QUERY_HISTORY_BY_SESSION(RESULT_LIMIT => 1000))',
    );
    const texts = mine.map((row) => row.QUERY_TEXT);
    expect(texts).toContain("SELECT 'from the raw session' AS V");
    expect(texts).not.toContain(`SELECT 'from the product session' AS "v"`);

    const newest = await run('SELECT QUERY_TEXT FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 2))');
    expect(newest).toHaveLength(2);
    // Newest first, as Snowflake lists them: the previous history query, then the raw session's SELECT.
    expect(newest[1]?.QUERY_TEXT).toBe("SELECT 'from the raw session' AS V");
    const byDefault = await run('SELECT COUNT(*) AS N FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY())');
    expect(Number(byDefault[0]?.N)).toBeLessThanOrEqual(100);
  });

  it('refuses a QUERY_TAG over 2,000 characters, sent with the statement or set on the session', async () => {
    const longest = 'x'.repeat(2000);
    await run("SELECT 'longest tag' AS V", { QUERY_TAG: longest });
    expect(await tagsOf("SELECT 'longest tag' AS V")).toEqual([longest]);

    const statement = await refusal(run("SELECT 'too long' AS V", { QUERY_TAG: `${longest}y` }));
    expect(statement.message).toMatch(/QUERY_TAG.*2001 characters, at most 2000/);
    const session = await refusal(run(`ALTER SESSION SET QUERY_TAG = '${longest}y'`));
    expect(session.message).toMatch(/QUERY_TAG/);
    // The refused ALTER left the session's tag as it was (none).
    await run("SELECT 'after the refusal' AS V");
    expect(await tagsOf("SELECT 'after the refusal' AS V")).toEqual(['']);
  });
});
