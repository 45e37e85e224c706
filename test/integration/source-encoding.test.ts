/**
 * A source database whose encoding is not UTF-8 (LATIN1, with LATIN1 as its sessions' default
 * client encoding): text, table and column names must land as the same characters, not as the
 * database's bytes read as UTF-8.
 */
import { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent as sf } from '../../src/connectors/snowflake/dialect';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

const services = sharedServices();
const DATABASE = 'conduit_latin1';
const SCHEMA = 'latin1_src';
let harness: Harness | undefined;

async function admin<T>(work: (client: PgClient) => Promise<T>): Promise<T> {
  const { host, port, user, password, database } = services.postgres;
  const client = new PgClient({ host, port, user, password, database });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await admin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await client.query(`CREATE DATABASE ${DATABASE} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
    // A session that sets nothing talks LATIN1 here, as it would on such a server.
    await client.query(`ALTER DATABASE ${DATABASE} SET client_encoding = 'LATIN1'`);
  });
  harness = new Harness(
    { ...services, postgres: { ...services.postgres, database: DATABASE } },
    { sourceSchema: SCHEMA },
  );
  await harness.start();
});
afterAll(async () => {
  await harness?.stop();
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`));
});

describe('source encoding', () => {
  it('loads LATIN1 text and names as the same characters', async () => {
    if (!harness) throw new Error('harness not started');
    const encoding = await harness.pg.query<{ server_encoding: string }>('SHOW server_encoding');
    expect(encoding.rows[0]?.server_encoding).toBe('LATIN1');
    await harness.pg.query(`CREATE TABLE ${SCHEMA}."Café" (id int PRIMARY KEY, "prénom" text, note varchar(20))`);
    await harness.pg.query(
      `INSERT INTO ${SCHEMA}."Café" VALUES (1, 'café', 'Größe ¿ñ?'), (2, 'naïve', 'àéîõü ÿ ß'), ` +
        `(3, 'plain', NULL)`,
    );
    // Stored as LATIN1 characters, not as UTF-8 bytes taken for LATIN1 (which would be 'cafÃ©').
    const stored = await harness.pg.query<{ n: number }>(
      `SELECT octet_length("prénom") AS n FROM ${SCHEMA}."Café" WHERE id = 1`,
    );
    expect(stored.rows[0]?.n).toBe(4);

    await harness.runOk();
    expect(await harness.expectSameContent('Café')).toBe(3);
    const rows = await harness.snowflake.query<{ id: string; name: string }>(
      `SELECT "id" AS "id", "prénom" AS "name" FROM ${sf(harness.config.destination.database)}.` +
        `${sf(harness.targetSchema)}."Café" ORDER BY 1`,
    );
    expect(rows.map((r) => r.name)).toEqual(['café', 'naïve', 'plain']);
  });
});
