/**
 * The minimal grant script (examples/snowflake-grants.sql, shown in docs/security.md) on the
 * emulator's roles and privileges: run as an admin, it lets the loader role run full_refresh and
 * incremental pipelines (twice: first loads, then swaps and commits into tables that exist), and
 * readers keep reading the swapped-in tables. The same script with one grant left out fails the
 * table at once with a message naming the privilege, the object and the role, and writes nothing.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSnowflake, type SnowflakeSession } from '../../src/connectors/snowflake/connection';
import { emulatorDestination } from '../../src/dev/emulator';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

const SCRIPT = readFileSync(resolve(__dirname, '../../examples/snowflake-grants.sql'), 'utf8');
const services = sharedServices();
const S = 'grants_src';

/** The script's statements, comments dropped. */
function statements(script: string): string[] {
  return script
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

/** Creates the loader user and runs the script as the emulator's admin user (a session without a role). */
async function provision(admin: SnowflakeSession, script: string, loader: string): Promise<void> {
  await admin.query(`CREATE USER ${loader} PASSWORD = '${services.snowflake.password}' DEFAULT_ROLE = ${loader}`);
  for (const statement of statements(script)) await admin.query(statement);
}

/** Pipeline overrides: the loader's login and role, database RAW, the given schema. */
function loaderPipeline(loader: string, schema: string, tables: unknown[]): Record<string, unknown> {
  const sf = services.snowflake;
  return {
    destination: {
      type: 'snowflake',
      account: sf.account,
      user: loader,
      password: '${SF_PASSWORD}',
      database: 'RAW',
      schema,
      role: loader,
      host: sf.host,
      port: sf.port,
      protocol: sf.protocol,
    },
    tables,
  };
}

let admin: SnowflakeSession;

// The returned teardown runs after the suite, and only if the session was opened.
beforeAll(async () => {
  admin = await connectSnowflake(emulatorDestination(services.snowflake));
  return () => admin.close();
});
beforeAll(async () => {
  await admin.query('CREATE DATABASE IF NOT EXISTS RAW');
});

describe('the minimal grant script', () => {
  const harness = new Harness(services, {
    sourceSchema: S,
    pipeline: loaderPipeline('CONDUIT_LOADER', 'SHOP', [
      { name: `${S}.orders` },
      { name: `${S}.events`, mode: 'incremental_append', cursor: 'updated_at' },
      { name: `${S}.accounts`, mode: 'incremental_merge', cursor: 'updated_at' },
    ]),
  });

  beforeAll(async () => {
    await provision(admin, SCRIPT, 'CONDUIT_LOADER');
    await harness.start();
    const sql = (text: string) => harness.pg.query(text);
    await sql(`CREATE TABLE ${S}.orders (id int PRIMARY KEY, amount numeric(10,2), note text)`);
    await sql(`INSERT INTO ${S}.orders SELECT g, g / 4.0, 'order ' || g FROM generate_series(1, 1500) g`);
    await sql(`CREATE TABLE ${S}.events (id bigint PRIMARY KEY, updated_at timestamp NOT NULL, v text)`);
    const at = (start: string) => `'${start}'::timestamptz + g * interval '1 second'`;
    await sql(`INSERT INTO ${S}.events SELECT g, ${at('2024-01-01')}, 'e' || g FROM generate_series(1, 1200) g`);
    await sql(
      `CREATE TABLE ${S}.accounts (id int PRIMARY KEY, balance numeric(12,2), updated_at timestamptz NOT NULL)`,
    );
    await sql(`INSERT INTO ${S}.accounts SELECT g, g, ${at('2024-03-01 00:00+00')} FROM generate_series(1, 800) g`);
  }, 300_000);
  afterAll(async () => {
    await harness.stop();
  });

  it('is what docs/security.md shows', () => {
    const doc = readFileSync(resolve(__dirname, '../../docs/security.md'), 'utf8');
    expect(doc).toContain(`\`\`\`sql\n${SCRIPT}\`\`\``);
  });

  it('lets the loader role run full_refresh, incremental_append and incremental_merge, then run again', async () => {
    expect((await harness.runOk()).result.tables.map((t) => t.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    for (const table of ['orders', 'events', 'accounts']) await harness.expectSameContent(table);

    const sql = (text: string) => harness.pg.query(text);
    await sql(`INSERT INTO ${S}.orders SELECT g, g, 'new ' || g FROM generate_series(1501, 1700) g`);
    await sql(`UPDATE ${S}.orders SET note = 'changed' WHERE id <= 10`);
    const late = "'2024-02-01'::timestamp + g * interval '1 second'";
    await sql(`INSERT INTO ${S}.events SELECT g, ${late}, 'late ' || g FROM generate_series(1201, 1400) g`);
    await sql(
      `UPDATE ${S}.accounts SET balance = balance + 1, updated_at = timestamptz '2024-04-01' WHERE id % 10 = 0`,
    );
    await harness.runOk();
    for (const table of ['orders', 'events', 'accounts']) await harness.expectSameContent(table);
    expect(await harness.destinationObjects()).toEqual({
      tables: ['_conduit_state', 'accounts', 'events', 'orders'],
      stages: [],
    });

    // Readers hold SELECT through the future grant: the swapped-in copy of orders has it too.
    await admin.query(`CREATE USER ANALYST_USER PASSWORD = 'pw' DEFAULT_ROLE = ANALYST`);
    await admin.query('GRANT ROLE ANALYST TO USER ANALYST_USER');
    const analyst = await connectSnowflake({
      ...harness.config.destination,
      user: 'ANALYST_USER',
      password: 'pw',
      role: undefined,
    });
    try {
      expect(await analyst.query('SELECT COUNT(*) AS "n" FROM "RAW"."SHOP"."orders"')).toEqual([{ n: '1700' }]);
      expect(await analyst.query('SELECT COUNT(*) AS "n" FROM "RAW"."SHOP"."accounts"')).toEqual([{ n: '800' }]);
    } finally {
      await analyst.close();
    }
  });
});

interface MissingGrant {
  name: string;
  /** Edits the script (already renamed to its own role, user and schema). */
  edit: (script: string) => string;
  mode?: 'full_refresh' | 'incremental_append';
  /** The grant the message must name (`n` numbers the case's schema). */
  privilege: string;
  kind: 'DATABASE' | 'SCHEMA';
  object: (n: number) => string;
  /** Further text the message must hold. */
  also?: (n: number) => string;
}

const MISSING: MissingGrant[] = [
  {
    name: 'CREATE STAGE on the schema',
    edit: (script) => script.replace('USAGE, CREATE TABLE, CREATE STAGE ON SCHEMA', 'USAGE, CREATE TABLE ON SCHEMA'),
    privilege: 'CREATE STAGE',
    kind: 'SCHEMA',
    object: (n) => `"RAW"."SHOP_${n}"`,
  },
  {
    name: 'CREATE TABLE on the schema (incremental: the state table)',
    edit: (script) => script.replace('USAGE, CREATE TABLE, CREATE STAGE ON SCHEMA', 'USAGE, CREATE STAGE ON SCHEMA'),
    mode: 'incremental_append',
    privilege: 'CREATE TABLE',
    kind: 'SCHEMA',
    object: (n) => `"RAW"."SHOP_${n}"`,
  },
  {
    name: 'USAGE on the database',
    edit: (script) => script.replace(/^GRANT USAGE ON DATABASE RAW TO ROLE CONDUIT_LOADER_\d+;\n/m, ''),
    privilege: 'USAGE',
    kind: 'DATABASE',
    object: () => '"RAW"',
  },
  {
    name: 'the schema (and CREATE SCHEMA on the database to make it)',
    edit: (script) => script.replace(/^(CREATE SCHEMA|GRANT .* ON (FUTURE TABLES IN )?SCHEMA).*\n/gm, ''),
    privilege: 'CREATE SCHEMA',
    kind: 'DATABASE',
    object: () => '"RAW"',
    also: (n) => `or create schema "RAW"."SHOP_${n}" and grant the role USAGE, CREATE TABLE and CREATE STAGE on it`,
  },
];

describe('the grant script with one grant left out', () => {
  MISSING.forEach((missing, i) => {
    it(`fails at once without ${missing.name}, naming privilege, object and role, and writes nothing`, async () => {
      const n = i + 1;
      const loader = `CONDUIT_LOADER_${n}`;
      const schema = `SHOP_${n}`;
      const source = `grants_missing_${n}`;
      const script = missing.edit(SCRIPT.replaceAll('CONDUIT_LOADER', loader).replaceAll('RAW.SHOP', `RAW.${schema}`));
      expect(script).not.toBe(SCRIPT.replaceAll('CONDUIT_LOADER', loader).replaceAll('RAW.SHOP', `RAW.${schema}`));
      await provision(admin, script, loader);
      const table =
        missing.mode === 'incremental_append'
          ? { name: `${source}.t`, mode: 'incremental_append', cursor: 'id' }
          : { name: `${source}.t` };
      const harness = new Harness(services, {
        sourceSchema: source,
        pipeline: loaderPipeline(loader, schema, [table]),
      });
      await harness.start();
      try {
        await harness.pg.query(`CREATE TABLE ${source}.t (id int PRIMARY KEY, v text)`);
        await harness.pg.query(`INSERT INTO ${source}.t SELECT g, 'v' || g FROM generate_series(1, 50) g`);
        const started = Date.now();
        const outcome = await harness.run();
        const seconds = (Date.now() - started) / 1000;
        expect(outcome.ok).toBe(false);
        const failure = outcome.result?.tables[0]?.error ?? (outcome.ok ? '' : outcome.message);
        const { privilege, kind } = missing;
        const object = missing.object(n);
        expect(failure).toContain(`the Snowflake role ${loader} lacks ${privilege} on ${kind.toLowerCase()} ${object}`);
        expect(failure).toContain(`grant it: GRANT ${privilege} ON ${kind} ${object} TO ROLE "${loader}"`);
        if (missing.also) expect(failure).toContain(missing.also(n));
        // Not retried: a permanent failure ends the run within seconds.
        expect(seconds).toBeLessThan(20);
        const left = await admin.query(
          'SELECT TABLE_NAME AS "name" FROM RAW.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?',
          [schema],
        );
        expect(left).toEqual([]);
      } finally {
        await harness.stop();
      }
    });
  });
});
