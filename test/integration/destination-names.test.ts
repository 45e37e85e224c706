/**
 * Destination database and schema names as Snowflake reads them (docs/security.md, "Destination
 * names"): an unquoted name folds to upper case, a quoted one is exact and may mix case, and a
 * database and schema holding spaces and non-ASCII characters load like any other, stages included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent as pg } from '../../src/connectors/postgres/sql';
import { quoteIdent as sf } from '../../src/connectors/snowflake/dialect';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

const services = sharedServices();
// Neither space nor quote: fakesnow writes a database name into its own SQL unquoted (docs/snowflake-emulator.md).
const HOSTILE_DB = 'Conduit_Dést';

function destination(database: string, schema: string): Record<string, unknown> {
  const { snowflake } = services;
  return {
    type: 'snowflake',
    account: snowflake.account,
    user: snowflake.user,
    password: '${SF_PASSWORD}',
    database,
    schema,
    host: snowflake.host,
    port: snowflake.port,
    protocol: snowflake.protocol,
  };
}

const folded = new Harness(services, {
  sourceSchema: 'dn_folded_src',
  pipeline: { destination: destination(services.snowflake.database, 'Staging_Area') },
});
const exact = new Harness(services, {
  sourceSchema: 'dn_exact_src',
  pipeline: { destination: destination(services.snowflake.database, '"Staging_Mixed"') },
});
const hostile = new Harness(services, {
  sourceSchema: 'dn_hostile_src',
  pipeline: { destination: destination(HOSTILE_DB, 'Staging Área') },
});
const all = [folded, exact, hostile];

beforeAll(async () => {
  await Promise.all(all.map((h) => h.start()));
  await hostile.snowflake.query(`CREATE DATABASE IF NOT EXISTS ${sf(HOSTILE_DB)}`);
  for (const h of all) {
    const schema = pg(h.options.sourceSchema);
    await h.pg.query(`CREATE TABLE ${schema}."Orders" (id int PRIMARY KEY, "Note" text, at timestamptz)`);
    await h.pg.query(
      `INSERT INTO ${schema}."Orders" VALUES (1, 'x', '2024-01-02 03:04:05+00'), (2, 'é " ,', NULL), (3, NULL, NULL)`,
    );
  }
});
afterAll(async () => {
  await Promise.all(all.map((h) => h.stop()));
});

describe('destination names', () => {
  it('folds an unquoted schema to upper case, as Snowflake reads it', async () => {
    expect(folded.targetSchema).toBe('STAGING_AREA');
    await folded.runOk();
    expect(await folded.expectSameContent('Orders')).toBe(3);
  });

  it('keeps a quoted mixed-case schema exactly', async () => {
    expect(exact.targetSchema).toBe('Staging_Mixed');
    await exact.runOk();
    expect(await exact.expectSameContent('Orders')).toBe(3);
    const { tables, stages } = await exact.destinationObjects();
    expect(tables).toEqual(['Orders']);
    expect(stages).toEqual([]);
  });

  it('loads into a database and a schema whose names need quoting (non-ASCII, a space)', async () => {
    await hostile.runOk();
    expect(hostile.config.destination).toMatchObject({ database: HOSTILE_DB, schema: 'Staging Área' });
    expect(await hostile.expectSameContent('Orders')).toBe(3);
    expect((await hostile.destinationObjects()).stages).toEqual([]);
  });
});
