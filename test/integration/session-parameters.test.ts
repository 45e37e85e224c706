/**
 * A customised account: users whose defaults change what the generated SQL means (a session zone
 * other than UTC, other input formats, quoted names matched case-insensitively). Every session the
 * product opens pins the parameters it relies on, so the load and the state table come out the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSnowflake } from '../../src/connectors/snowflake/connection';
import { quoteIdent as sf } from '../../src/connectors/snowflake/dialect';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

const services = sharedServices();
const HOSTILE: Record<string, string> = {
  SP_ZONE:
    "TIMEZONE = 'America/Los_Angeles', DATE_INPUT_FORMAT = 'DD/MM/YYYY', TIME_INPUT_FORMAT = 'HH12:MI AM', " +
    "TIMESTAMP_INPUT_FORMAT = 'DD/MM/YYYY HH24:MI', BINARY_INPUT_FORMAT = 'BASE64'",
  SP_CASE: 'QUOTED_IDENTIFIERS_IGNORE_CASE = TRUE',
};

function harnessFor(user: string, sourceSchema: string): Harness {
  const { snowflake } = services;
  return new Harness(services, {
    sourceSchema,
    pipeline: {
      destination: {
        type: 'snowflake',
        account: snowflake.account,
        user,
        password: '${SF_PASSWORD}',
        database: snowflake.database,
        schema: `DST_${sourceSchema.toUpperCase()}`,
        host: snowflake.host,
        port: snowflake.port,
        protocol: snowflake.protocol,
      },
      tables: [{ name: `${sourceSchema}.Events`, mode: 'incremental_append', cursor: 'id' }],
    },
  });
}

const zone = harnessFor('SP_ZONE', 'sp_zone_src');
const caseless = harnessFor('SP_CASE', 'sp_case_src');

beforeAll(async () => {
  const { snowflake } = services;
  const admin = await connectSnowflake({ type: 'snowflake', ...snowflake, schema: snowflake.schema });
  try {
    for (const [user, settings] of Object.entries(HOSTILE)) {
      await admin.query(`CREATE USER IF NOT EXISTS ${user} PASSWORD = '${snowflake.password}'`);
      await admin.query(`ALTER USER ${user} SET ${settings}`);
    }
  } finally {
    await admin.close();
  }
  for (const h of [zone, caseless]) {
    await h.start();
    const schema = `"${h.options.sourceSchema}"`;
    await h.pg.query(`CREATE TABLE ${schema}."Events" (id bigint PRIMARY KEY, "Kind" text, at timestamp, b bytea)`);
    await h.pg.query(
      `INSERT INTO ${schema}."Events" VALUES (1, 'a', '2024-01-02 03:04:05.123456', '\\x00ff'), (2, NULL, NULL, NULL)`,
    );
  }
});
afterAll(async () => {
  await Promise.all([zone, caseless].map((h) => h.stop()));
});

/** UPDATED_AT as text (the product reads timestamps as strings), taken as UTC. */
async function stateUpdatedAt(h: Harness): Promise<Date> {
  const state = `${sf(h.config.destination.database)}.${sf(h.targetSchema)}."_conduit_state"`;
  const [row] = await h.snowflake.query<{ u: string }>(`SELECT UPDATED_AT AS "u" FROM ${state}`);
  if (!row) throw new Error('no state row');
  return new Date(`${row.u.replace(' ', 'T')}Z`);
}

describe('session parameters a customised account sets', () => {
  it('records the state in UTC and loads exactly under another session zone and input formats', async () => {
    const before = Date.now();
    await zone.runOk();
    expect(await zone.expectSameContent('Events')).toBe(2);
    const updated = (await stateUpdatedAt(zone)).getTime();
    // TIMESTAMP_NTZ in UTC: within the run, not hours away in America/Los_Angeles.
    expect(updated).toBeGreaterThanOrEqual(before - 2_000);
    expect(updated).toBeLessThanOrEqual(Date.now() + 2_000);
  });

  it('keeps quoted names exact when the account ignores the case of quoted identifiers', async () => {
    await caseless.runOk();
    expect(await caseless.expectSameContent('Events')).toBe(2);
    expect((await caseless.destinationObjects()).tables).toEqual(['Events', '_conduit_state']);
  });
});
