/**
 * Roles and privileges in the Snowflake emulator (emulator/conduit_privileges.py), through the real
 * snowflake-sdk: each rule docs/snowflake-emulator.md lists, with Snowflake's error for a refusal.
 * An admin session (no role) sets objects and grants up; sessions with a role are checked.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnowflakeDestination } from '../../src/config/pipeline';
import { PermanentError } from '../../src/connectors/errors';
import { connectSnowflake, type SnowflakeSession } from '../../src/connectors/snowflake/connection';
import { emulatorDestination, startSnowflakeEmulator, type SnowflakeEmulator } from '../../src/dev/emulator';
import { matching } from '../support/matchers';
import { scratchDir } from '../support/scratch';

let service: SnowflakeEmulator;
let admin: SnowflakeSession;
// Every session opened, the admin's first, closed before the emulator stops (also after a failed setup).
const open: SnowflakeSession[] = [];
let stopService: (() => Promise<void>) | undefined;

async function as(user: string, role?: string): Promise<SnowflakeSession> {
  const destination: SnowflakeDestination = { ...emulatorDestination(service), user, password: 'pw', role };
  const session = await connectSnowflake(destination);
  open.push(session);
  return session;
}

async function refusal(promise: Promise<unknown>): Promise<{ message: string; code?: string; sqlState?: string }> {
  try {
    await promise;
  } catch (error) {
    const cause = (error as Error).cause as { code?: string; sqlState?: string } | undefined;
    return { message: (error as Error).message, code: cause?.code, sqlState: cause?.sqlState };
  }
  throw new Error('the statement was expected to be refused');
}

const INSUFFICIENT = { code: '003001', sqlState: '42501' };
const NOT_AUTHORIZED = { code: '002003' };

beforeAll(async () => {
  service = await startSnowflakeEmulator();
  stopService = () => service.stop();
  admin = await connectSnowflake(emulatorDestination(service));
  open.push(admin);
  for (const statement of [
    'CREATE DATABASE P',
    'CREATE SCHEMA P.S',
    'CREATE SCHEMA P.OTHER',
    'CREATE TABLE P.S.ADMIN_OWNED (A NUMBER(10,0))',
    'CREATE ROLE LOADER',
    'CREATE ROLE READER',
    `CREATE USER LOADER_USER PASSWORD = 'pw' DEFAULT_ROLE = LOADER`,
    `CREATE USER READER_USER PASSWORD = 'pw'`,
    `CREATE USER PLAIN_USER PASSWORD = 'pw'`,
    'GRANT ROLE LOADER TO USER LOADER_USER',
    'GRANT ROLE READER TO USER READER_USER',
    'GRANT USAGE ON DATABASE P TO ROLE LOADER',
    'GRANT USAGE, CREATE TABLE ON SCHEMA P.S TO ROLE LOADER',
    'GRANT USAGE ON DATABASE P TO ROLE READER',
    'GRANT USAGE ON SCHEMA P.S TO ROLE READER',
    'GRANT SELECT ON FUTURE TABLES IN SCHEMA P.S TO ROLE READER',
  ])
    await admin.query(statement);
}, 60_000);

afterAll(async () => {
  await Promise.all(open.map((session) => session.close()));
  await stopService?.();
});

describe('emulator roles and privileges', () => {
  it('runs a session as the login role or the user DEFAULT_ROLE; without one it stays unrestricted', async () => {
    const byDefault = await as('LOADER_USER');
    expect(await byDefault.query('SELECT CURRENT_ROLE() AS "role"')).toEqual([{ role: 'LOADER' }]);
    const plain = await as('PLAIN_USER');
    expect(await plain.query('SELECT CURRENT_ROLE() AS "role"')).toEqual([{ role: 'ACCOUNTADMIN' }]);
    expect(await plain.query('SELECT COUNT(*) AS "n" FROM P.S.ADMIN_OWNED')).toEqual([{ n: '0' }]);
    // A role not granted to the user is refused at login, permanently (390189).
    await expect(as('READER_USER', 'LOADER')).rejects.toThrow(
      /390189.*Role 'LOADER' specified in the connect string is not granted to this user/,
    );
    await expect(as('READER_USER', 'LOADER')).rejects.toBeInstanceOf(PermanentError);
    expect(await refusal(byDefault.query('USE ROLE READER'))).toMatchObject({
      message: matching(/Requested role 'READER' is not assigned to the executing user/),
    });
    expect(await refusal(byDefault.query('USE ROLE ACCOUNTADMIN'))).toMatchObject({ code: '003013' });
    // A login names a database and schema; unlike fakesnow's, it never creates them.
    const elsewhere = await connectSnowflake({ ...emulatorDestination(service), database: 'P', schema: 'NOT_YET' });
    open.push(elsewhere);
    const sql = 'SELECT SCHEMA_NAME AS "name" FROM P.INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = ?';
    expect(await admin.query(sql, ['NOT_YET'])).toEqual([]);
  });

  it('CREATE SCHEMA needs CREATE SCHEMA on the database, even when IF NOT EXISTS finds the schema', async () => {
    const loader = await as('LOADER_USER');
    expect(await refusal(loader.query('CREATE SCHEMA IF NOT EXISTS "P"."S"'))).toMatchObject({
      ...INSUFFICIENT,
      message: matching(/Insufficient privileges to operate on database 'P'/),
    });
    await admin.query('GRANT CREATE SCHEMA ON DATABASE P TO ROLE LOADER');
    await loader.query('CREATE SCHEMA IF NOT EXISTS "P"."S"');
    await loader.query('CREATE SCHEMA "P"."LOADERS"');
    // The role that created the schema owns it: every privilege in it, without grants.
    await loader.query('CREATE TABLE "P"."LOADERS"."T" (A NUMBER(10,0))');
    await admin.query('REVOKE CREATE SCHEMA ON DATABASE P FROM ROLE LOADER');
  });

  it('USAGE on database and schema first; what a role cannot see "does not exist or not authorized"', async () => {
    const loader = await as('LOADER_USER');
    expect(await refusal(loader.query('SELECT 1 AS "x" FROM CONDUIT.PUBLIC.ANYTHING'))).toMatchObject({
      ...NOT_AUTHORIZED,
      message: matching(/Database 'CONDUIT' does not exist or not authorized/),
    });
    expect(await refusal(loader.query('CREATE TABLE P.OTHER.T (A NUMBER(10,0))'))).toMatchObject({
      ...NOT_AUTHORIZED,
      message: matching(/Schema 'P.OTHER' does not exist or not authorized/),
    });
    expect(await refusal(loader.query('SELECT * FROM P.S.ADMIN_OWNED'))).toMatchObject({
      ...NOT_AUTHORIZED,
      message: matching(/Object 'P.S.ADMIN_OWNED' does not exist or not authorized/),
    });
    // INFORMATION_SCHEMA needs USAGE on its database only.
    expect(
      await loader.query('SELECT SCHEMA_NAME AS "name" FROM P.INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = ?', [
        'S',
      ]),
    ).toEqual([{ name: 'S' }]);
  });

  it('CREATE TABLE and CREATE STAGE on the schema; the creator owns what it creates', async () => {
    const loader = await as('LOADER_USER');
    expect(await refusal(loader.query('CREATE STAGE "P"."S"."st"'))).toMatchObject({
      ...INSUFFICIENT,
      message: matching(/Insufficient privileges to operate on schema 'S'/),
    });
    await admin.query('GRANT CREATE STAGE ON SCHEMA P.S TO ROLE LOADER');
    await loader.query(`CREATE STAGE IF NOT EXISTS "P"."S"."st" COMMENT = 'x'`);
    await loader.query('CREATE TABLE "P"."S"."owned" (A NUMBER(10,0))');
    await loader.query('INSERT INTO "P"."S"."owned" (A) VALUES (1), (2)');
    await loader.query('DELETE FROM "P"."S"."owned" WHERE A = 2');
    await loader.query('TRUNCATE TABLE "P"."S"."owned"');
    await loader.query('ALTER TABLE "P"."S"."owned" ADD COLUMN "B" VARCHAR');
    await loader.query('DROP STAGE "P"."S"."st"');
  });

  it('PUT needs WRITE and COPY needs READ on a stage another role owns, quoted or not', async () => {
    await admin.query('CREATE STAGE P.S.SHARED');
    await admin.query('CREATE TABLE P.S.FROM_STAGE ("v" VARCHAR)');
    await admin.query('GRANT INSERT ON TABLE P.S.FROM_STAGE TO ROLE LOADER');
    const file = join(scratchDir('privileges'), 'one.csv.gz');
    writeFileSync(file, gzipSync('1\n'));
    const loader = await as('LOADER_USER');
    // The emulator keeps load history in the session's current database (docs/snowflake-emulator.md,
    // gaps); the product's sessions log in to the target's.
    await loader.query('USE DATABASE P');
    const put = `PUT 'file://${file}' '@"P"."S"."SHARED"' AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP`;
    expect(await refusal(loader.query(put))).toMatchObject(NOT_AUTHORIZED);
    await admin.query('GRANT WRITE ON STAGE P.S.SHARED TO ROLE LOADER');
    await loader.query(put);
    const copy = (from: string) =>
      `COPY INTO P.S.FROM_STAGE ("v") FROM (SELECT $1 FROM ${from}) FILES = ('one.csv.gz') FILE_FORMAT = (TYPE = CSV)`;
    for (const from of [`'@"P"."S"."SHARED"'`, '@P.S.SHARED'])
      expect(await refusal(loader.query(copy(from))), from).toMatchObject(INSUFFICIENT);
    await admin.query('GRANT READ ON STAGE P.S.SHARED TO ROLE LOADER');
    await loader.query(copy(`'@"P"."S"."SHARED"'`));
  });

  it('SELECT, INSERT, DELETE and TRUNCATE on tables another role owns need their grants', async () => {
    await admin.query('CREATE TABLE P.S.SHARED (A NUMBER(10,0))');
    await admin.query('INSERT INTO P.S.SHARED (A) VALUES (1)');
    const loader = await as('LOADER_USER');
    await admin.query('GRANT SELECT ON TABLE P.S.SHARED TO ROLE LOADER');
    expect(await loader.query('SELECT A AS "a" FROM P.S.SHARED')).toEqual([{ a: '1' }]);
    for (const [statement, privilege] of [
      ['INSERT INTO P.S.SHARED (A) VALUES (2)', 'INSERT'],
      ['DELETE FROM P.S.SHARED', 'DELETE'],
      ['TRUNCATE TABLE P.S.SHARED', 'TRUNCATE'],
    ] as const) {
      expect(await refusal(loader.query(statement))).toMatchObject({
        ...INSUFFICIENT,
        message: matching(/Insufficient privileges to operate on table 'SHARED'/),
      });
      await admin.query(`GRANT ${privilege} ON TABLE P.S.SHARED TO ROLE LOADER`);
      await loader.query(statement);
    }
    // Reading another table inside a statement needs SELECT on it too.
    await loader.query('CREATE TABLE "P"."S"."copy" (A NUMBER(10,0))');
    expect(await refusal(loader.query('INSERT INTO "P"."S"."copy" SELECT A FROM P.S.ADMIN_OWNED'))).toMatchObject(
      NOT_AUTHORIZED,
    );
  });

  it('SWAP WITH and RENAME need OWNERSHIP; grants and ownership stay with the table objects', async () => {
    const loader = await as('LOADER_USER');
    const reader = await as('READER_USER');
    await loader.query('CREATE OR REPLACE TABLE "P"."S"."TARGET" (A NUMBER(10,0))');
    await loader.query('INSERT INTO "P"."S"."TARGET" (A) VALUES (1)');
    await loader.query('CREATE TABLE "P"."S"."SHADOW" (A NUMBER(10,0))');
    await loader.query('INSERT INTO "P"."S"."SHADOW" (A) VALUES (2)');
    await admin.query('CREATE ROLE ADHOC');
    await admin.query('GRANT ROLE ADHOC TO USER READER_USER');
    // Only the session's role counts (secondary roles are not modelled): ADHOC needs its own USAGE.
    await admin.query('GRANT USAGE ON DATABASE P TO ROLE ADHOC');
    await admin.query('GRANT USAGE ON SCHEMA P.S TO ROLE ADHOC');
    await admin.query('GRANT SELECT ON TABLE P.S.TARGET TO ROLE ADHOC');
    await reader.query('USE ROLE ADHOC');
    expect(await reader.query('SELECT A AS "a" FROM P.S.TARGET')).toEqual([{ a: '1' }]);

    await loader.query('ALTER TABLE "P"."S"."TARGET" SWAP WITH "P"."S"."SHADOW"');
    // ADHOC's grant was on the old table object, now named SHADOW.
    expect(await refusal(reader.query('SELECT A AS "a" FROM P.S.TARGET'))).toMatchObject(NOT_AUTHORIZED);
    expect(await reader.query('SELECT A AS "a" FROM P.S.SHADOW')).toEqual([{ a: '1' }]);
    // READER's future grant reached both tables when they were created, so it reads either.
    await reader.query('USE ROLE READER');
    expect(await reader.query('SELECT A AS "a" FROM P.S.TARGET')).toEqual([{ a: '2' }]);

    // A table the loader does not own cannot be swapped, from either side, nor renamed.
    await admin.query('GRANT SELECT ON TABLE P.S.ADMIN_OWNED TO ROLE LOADER');
    for (const statement of [
      'ALTER TABLE "P"."S"."TARGET" SWAP WITH P.S.ADMIN_OWNED',
      'ALTER TABLE P.S.ADMIN_OWNED SWAP WITH "P"."S"."TARGET"',
      'ALTER TABLE P.S.ADMIN_OWNED RENAME TO P.S.MINE',
      'DROP TABLE P.S.ADMIN_OWNED',
    ])
      expect(await refusal(loader.query(statement))).toMatchObject({
        ...INSUFFICIENT,
        message: matching(/Insufficient privileges to operate on table 'ADMIN_OWNED'/),
      });
    // RENAME keeps the object's grants under the new name.
    await loader.query('ALTER TABLE "P"."S"."SHADOW" RENAME TO "P"."S"."RENAMED"');
    await reader.query('USE ROLE ADHOC');
    expect(await reader.query('SELECT A AS "a" FROM P.S.RENAMED')).toEqual([{ a: '1' }]);
  });

  it('CREATE OR REPLACE needs OWNERSHIP of the table it replaces; the new one has future grants only', async () => {
    const loader = await as('LOADER_USER');
    expect(await refusal(loader.query('CREATE OR REPLACE TABLE P.S.ADMIN_OWNED (A NUMBER(10,0))'))).toMatchObject(
      INSUFFICIENT,
    );
    await admin.query('GRANT OWNERSHIP ON TABLE P.S.ADMIN_OWNED TO ROLE LOADER COPY CURRENT GRANTS');
    await loader.query('CREATE OR REPLACE TABLE P.S.ADMIN_OWNED (A NUMBER(10,0))');
    const reader = await as('READER_USER', 'READER');
    expect(await reader.query('SELECT COUNT(*) AS "n" FROM P.S.ADMIN_OWNED')).toEqual([{ n: '0' }]);
  });

  it('only unrestricted sessions manage roles, users, databases; grants need existing objects', async () => {
    const loader = await as('LOADER_USER');
    for (const statement of [
      'CREATE ROLE X',
      `CREATE USER X PASSWORD = 'x'`,
      'CREATE DATABASE X',
      'GRANT ROLE LOADER TO USER PLAIN_USER',
    ])
      expect(await refusal(loader.query(statement))).toMatchObject({
        ...INSUFFICIENT,
        message: matching(/Insufficient privileges to operate on account/),
      });
    expect(await refusal(admin.query('GRANT USAGE ON SCHEMA P.NOPE TO ROLE LOADER'))).toMatchObject(NOT_AUTHORIZED);
    expect(await refusal(admin.query('GRANT USAGE ON SCHEMA P.S TO ROLE NOPE'))).toMatchObject({
      message: matching(/Role 'NOPE' does not exist or not authorized/),
    });
    expect(await refusal(admin.query('GRANT INSERT ON SCHEMA P.S TO ROLE LOADER'))).toMatchObject({
      message: matching(/Invalid privilege INSERT for object type SCHEMA/),
    });
  });
});
