/**
 * The Snowflake emulator (fakesnow behind emulator/conduit_adapter.py) as the product sees it:
 * the real Node snowflake-sdk, and the exact SQL shapes src/connectors/snowflake/dialect.ts emits.
 * Values are compared exactly; where the emulator cannot match Snowflake the expectation says so
 * (and docs/snowflake-emulator.md lists it).
 *
 * CONDUIT_EMULATOR_BENCH_ROWS sets the size of the COPY throughput check (default 200,000 rows).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import snowflake from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSnowflake, valueText, type SnowflakeSession } from '../../src/connectors/snowflake/connection';
import { PermanentError } from '../../src/connectors/errors';
import {
  connectToEmulator,
  emulatorDestination,
  startSnowflakeEmulator,
  type SnowflakeEmulator,
} from '../../src/dev/emulator';
import { scratchDir } from '../support/scratch';

type Row = Record<string, unknown>;
type SfDate = Date & { getEpochSeconds(): number; getNanoSeconds(): number; getTimezone(): number | string };
type Connection = snowflake.Connection;

snowflake.configure({ logLevel: 'ERROR' });

const ALL_AS_STRINGS: snowflake.DataType[] = ['String', 'Boolean', 'Number', 'Date', 'JSON', 'Buffer'];

function connect(service: SnowflakeEmulator, options: Partial<snowflake.ConnectionOptions> = {}): Promise<Connection> {
  const connection = snowflake.createConnection({
    account: service.account,
    username: service.user,
    password: service.password,
    database: service.database,
    schema: service.schema,
    warehouse: service.warehouse,
    accessUrl: service.url,
    // fakesnow sets CLIENT_STAGE_ARRAY_BINDING_THRESHOLD=0 at login (the adapter restores
    // Snowflake's default); keep binds inline regardless, as the product does.
    arrayBindingThreshold: 100_000,
    // The SDK's default (true) turns NULL into the string 'NULL' for every type read with
    // fetchAsString; it is a process-wide setting made by whichever connection is created last.
    representNullAsStringNull: false,
    ...options,
  });
  return new Promise((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve(connection))));
}

function run(
  connection: Connection,
  sqlText: string,
  options: { binds?: snowflake.Binds; fetchAsString?: snowflake.DataType[] } = {},
): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    connection.execute({
      sqlText,
      ...options,
      complete: (error, _statement, rows) => (error ? reject(error) : resolve((rows ?? []) as Row[])),
    });
  });
}

async function failure(promise: Promise<unknown>): Promise<snowflake.SnowflakeError> {
  try {
    await promise;
  } catch (error) {
    return error as snowflake.SnowflakeError;
  }
  throw new Error('the statement was expected to fail');
}

function close(connection: Connection): Promise<void> {
  return new Promise((resolve) => connection.destroy(() => resolve()));
}

/** One CSV field the way PostgreSQL's `COPY ... TO STDOUT (FORMAT csv)` writes it. */
function pgCsvField(value: string | null): string {
  if (value === null) return '';
  if (value === '' || /[",\r\n]/.test(value) || value === '\\.') return `"${value.replace(/"/g, '""')}"`;
  return value;
}

function pgCsv(rows: (string | null)[][]): string {
  return rows.map((row) => row.map(pgCsvField).join(',')).join('\n') + '\n';
}

const sfDate = (value: unknown): SfDate => value as SfDate;

describe('Snowflake emulator', () => {
  let service: SnowflakeEmulator;
  let sf: Connection;
  let session: SnowflakeSession;
  let scratch: string;
  // Each resource's release, run in reverse by afterAll: also what a half-failed beforeAll made.
  const releases: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    const started = Date.now();
    service = await startSnowflakeEmulator();
    releases.push(() => service.stop());
    console.log(`emulator ready in ${Date.now() - started} ms at ${service.url}`);
    sf = await connect(service);
    releases.push(() => close(sf));
    session = await connectToEmulator(service);
    releases.push(() => session.close());
    scratch = scratchDir('emulator-test');
    releases.push(() => rmSync(scratch, { recursive: true, force: true }));
    await run(sf, 'CREATE DATABASE IF NOT EXISTS "DB"');
  }, 60_000);

  afterAll(async () => {
    for (const release of releases.reverse()) await release();
  });

  it('reports its defaults and creates the default database and schema', async () => {
    expect(service).toMatchObject({
      host: '127.0.0.1',
      protocol: 'http',
      account: 'conduit',
      user: 'conduit',
      database: 'CONDUIT',
      schema: 'PUBLIC',
      warehouse: 'CONDUIT_WH',
    });
    const rows = await run(sf, 'SELECT CURRENT_DATABASE() AS "db", CURRENT_SCHEMA() AS "schema"');
    expect(rows).toEqual([{ db: 'CONDUIT', schema: 'PUBLIC' }]);
  });

  describe('result encoding of every type', () => {
    beforeAll(async () => {
      await run(sf, 'CREATE SCHEMA IF NOT EXISTS "DB"."Types"');
      await run(
        sf,
        `CREATE OR REPLACE TABLE "DB"."Types"."all" (
          "n0" NUMBER(38,0), "n9" NUMBER(38,9), "f" FLOAT, "b" BOOLEAN, "s" VARCHAR, "d" DATE, "t" TIME(9),
          "ntz6" TIMESTAMP_NTZ(6), "ntz9" TIMESTAMP_NTZ(9), "tz" TIMESTAMP_TZ(6), "bin" BINARY,
          "v" VARIANT, "a" ARRAY, "o" OBJECT)`,
      );
      await run(
        sf,
        `INSERT INTO "DB"."Types"."all"
         SELECT 12345678901234567890123456789012345678, 12345678901234567890123456789.123456789, 1.25, TRUE, 'plain',
                '0001-01-01'::DATE, '00:00:00.000001'::TIME(9), '1969-12-31 23:59:59.5'::TIMESTAMP_NTZ(6),
                '2024-02-29 12:34:56.123456789'::TIMESTAMP_NTZ(9), '2024-01-02 03:04:05.123456 +05:30'::TIMESTAMP_TZ(6),
                TO_BINARY('00FF10AB', 'HEX'), PARSE_JSON('{"a":[1,2,{"b":null}],"s":"😀"}'),
                PARSE_JSON('[1,"x",null]')::ARRAY, PARSE_JSON('{"k":1}')::OBJECT
         UNION ALL
         SELECT -9007199254740993, -0.000000001, -2.5e-7, FALSE, 'a😀
"b''c,d\\\\e', '9999-12-31'::DATE, '23:59:59.123456789'::TIME(9), '0001-01-01 00:00:00'::TIMESTAMP_NTZ(6),
                '9999-12-31 23:59:59.999999999'::TIMESTAMP_NTZ(9), '1999-12-31 23:59:59.999999 -08:00'::TIMESTAMP_TZ(6),
                TO_BINARY('', 'HEX'), PARSE_JSON('"str"'), PARSE_JSON('[]')::ARRAY, PARSE_JSON('{}')::OBJECT
         UNION ALL
         SELECT 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`,
      );
    }, 30_000);

    it('NUMBER(38,0) beyond 2^53 and NUMBER(38,9) are exact as strings, and as BigInt', async () => {
      const rows = await run(sf, 'SELECT "n0", "n9" FROM "DB"."Types"."all" ORDER BY "n0"', {
        fetchAsString: ['Number'],
      });
      expect(rows).toEqual([
        { n0: '-9007199254740993', n9: '-0.000000001' },
        { n0: '3', n9: null },
        { n0: '12345678901234567890123456789012345678', n9: '12345678901234567890123456789.123456789' },
      ]);
      const numbers = await run(sf, 'SELECT "n9" FROM "DB"."Types"."all" WHERE "n0" = 3 OR "n0" < 0 ORDER BY "n0"');
      expect(numbers).toEqual([{ n9: -1e-9 }, { n9: null }]);

      // JS_TREAT_INTEGER_AS_BIGINT is a login session parameter the adapter echoes with results
      const big = await connect(service, { jsTreatIntegerAsBigInt: true });
      try {
        const [row] = await run(big, 'SELECT "n0" FROM "DB"."Types"."all" WHERE "n0" < 0');
        expect(typeof row?.n0).not.toBe('number');
        expect(String(row?.n0)).toBe('-9007199254740993');
      } finally {
        await close(big);
      }
    });

    it('FLOAT: finite values, NaN and infinities ("NaN", "inf", "-inf" on the wire)', async () => {
      const sql =
        `SELECT 'NaN'::FLOAT AS "nan", 'inf'::FLOAT AS "pinf", '-inf'::FLOAT AS "ninf", 1.25::FLOAT AS "x", ` +
        `-2.5e-7::FLOAT AS "y"`;
      const [asText] = await run(sf, sql, { fetchAsString: ['Number'] });
      expect(asText).toEqual({ nan: 'NaN', pinf: 'inf', ninf: '-inf', x: '1.25', y: '-2.5e-07' });
      const [asNumber] = await run(sf, sql);
      expect(Number.isNaN(asNumber?.nan)).toBe(true);
      // The Node SDK reads REAL with Number(): Number('inf') is NaN. Snowflake sends the same
      // spelling, so read FLOAT columns as strings where infinities matter.
      expect(Number.isNaN(asNumber?.pinf)).toBe(true);
      expect(Number.isNaN(asNumber?.ninf)).toBe(true);
      expect(asNumber).toMatchObject({ x: 1.25, y: -2.5e-7 });
      const stored = await run(sf, 'SELECT "f" FROM "DB"."Types"."all" ORDER BY "n0"', { fetchAsString: ['Number'] });
      expect(stored).toEqual([{ f: '-2.5e-07' }, { f: null }, { f: '1.25' }]);
    });

    it('BOOLEAN, VARCHAR (beyond the BMP, newlines, quotes) and NULL', async () => {
      const rows = await run(sf, 'SELECT "b", "s" FROM "DB"."Types"."all" ORDER BY "n0"');
      expect(rows).toEqual([
        { b: false, s: 'a😀\n"b\'c,d\\e' },
        { b: null, s: null },
        { b: true, s: 'plain' },
      ]);
      const strings = await run(sf, 'SELECT "b" FROM "DB"."Types"."all" ORDER BY "n0"', { fetchAsString: ['Boolean'] });
      expect(strings).toEqual([{ b: 'FALSE' }, { b: null }, { b: 'TRUE' }]);
    });

    it('DATE at both ends of the range', async () => {
      const rows = await run(sf, 'SELECT "d" FROM "DB"."Types"."all" ORDER BY "n0"', { fetchAsString: ['Date'] });
      expect(rows).toEqual([{ d: '9999-12-31' }, { d: null }, { d: '0001-01-01' }]);
      const dates = await run(sf, 'SELECT "d" FROM "DB"."Types"."all" WHERE "d" IS NOT NULL ORDER BY "n0"');
      expect(dates.map((r) => (r.d as Date).getTime())).toEqual([
        Date.parse('9999-12-31T00:00:00Z'),
        Date.parse('0001-01-01T00:00:00Z'),
      ]);
    });

    it('TIME(9) (DuckDB keeps microseconds)', async () => {
      // the SDK formats TIME with TIME_OUTPUT_FORMAT; the adapter keeps ALTER SESSION's value per session
      const timed = await connect(service);
      try {
        await run(timed, "ALTER SESSION SET TIME_OUTPUT_FORMAT = 'HH24:MI:SS.FF9'");
        const rows = await run(timed, 'SELECT "t" FROM "DB"."Types"."all" ORDER BY "n0"');
        // Snowflake: '23:59:59.123456789'
        expect(rows).toEqual([{ t: '23:59:59.123456000' }, { t: null }, { t: '00:00:00.000001000' }]);
      } finally {
        await close(timed);
      }
      const defaults = await run(sf, 'SELECT "t" FROM "DB"."Types"."all" WHERE "n0" < 0');
      expect(defaults).toEqual([{ t: '23:59:59' }]);
    });

    it('TIMESTAMP_NTZ(6/9) including before 1970 (DuckDB keeps microseconds)', async () => {
      const rows = await run(
        sf,
        'SELECT "ntz6", "ntz9" FROM "DB"."Types"."all" WHERE "ntz6" IS NOT NULL ORDER BY "n0"',
      );
      const [second, first] = rows.map((r) => ({ ntz6: sfDate(r.ntz6), ntz9: sfDate(r.ntz9) }));
      expect(first?.ntz6.getTime()).toBe(-500);
      expect([first?.ntz6.getEpochSeconds(), first?.ntz6.getNanoSeconds()]).toEqual([-1, 500_000_000]);
      expect(first?.ntz9.getTime()).toBe(Date.parse('2024-02-29T12:34:56.123Z'));
      expect(first?.ntz9.getNanoSeconds()).toBe(123_456_000); // Snowflake: 123456789
      expect(second?.ntz6.getTime()).toBe(Date.parse('0001-01-01T00:00:00Z'));
      expect(second?.ntz9.getEpochSeconds()).toBe(Date.parse('9999-12-31T23:59:59Z') / 1000);
      expect(second?.ntz9.getNanoSeconds()).toBe(999_999_000); // Snowflake: 999999999
      const text = await run(sf, 'SELECT "ntz9" FROM "DB"."Types"."all" WHERE "n0" = 3', { fetchAsString: ['Date'] });
      expect(text).toEqual([{ ntz9: null }]);
    });

    it('TIMESTAMP_TZ with non-UTC offsets keeps the instant (the offset becomes +00:00)', async () => {
      const rows = await run(sf, 'SELECT "tz" FROM "DB"."Types"."all" WHERE "tz" IS NOT NULL ORDER BY "n0"');
      const [y2k, newYear] = rows.map((r) => sfDate(r.tz));
      expect(newYear?.getTime()).toBe(Date.parse('2024-01-01T21:34:05.123Z'));
      expect(newYear?.getNanoSeconds()).toBe(123_456_000);
      expect(y2k?.getTime()).toBe(Date.parse('2000-01-01T07:59:59.999Z'));
      expect(y2k?.getNanoSeconds()).toBe(999_999_000);
      expect(newYear?.getTimezone()).toBe(0); // Snowflake keeps +05:30 (330)
    });

    it('BINARY as bytes and as uppercase hex', async () => {
      const rows = await run(sf, 'SELECT "bin" FROM "DB"."Types"."all" ORDER BY "n0"');
      expect(rows.map((r) => (r.bin === null ? null : Buffer.from(r.bin as Buffer).toString('hex')))).toEqual([
        '',
        null,
        '00ff10ab',
      ]);
      const hex = await run(sf, 'SELECT "bin" FROM "DB"."Types"."all" ORDER BY "n0"', { fetchAsString: ['Buffer'] });
      expect(hex).toEqual([{ bin: '' }, { bin: null }, { bin: '00FF10AB' }]);
    });

    it('VARIANT, ARRAY and OBJECT as parsed JSON and as JSON text', async () => {
      const rows = await run(sf, 'SELECT "v", "a", "o" FROM "DB"."Types"."all" ORDER BY "n0"');
      expect(rows).toEqual([
        { v: 'str', a: [], o: {} },
        { v: null, a: null, o: null },
        { v: { a: [1, 2, { b: null }], s: '😀' }, a: [1, 'x', null], o: { k: 1 } },
      ]);
      const text = await run(sf, 'SELECT "v", "a", "o" FROM "DB"."Types"."all" WHERE "n0" > 3', {
        fetchAsString: ['JSON'],
      });
      expect(JSON.parse(String(text[0]?.v))).toEqual({ a: [1, 2, { b: null }], s: '😀' });
      expect(JSON.parse(String(text[0]?.a))).toEqual([1, 'x', null]);
    });

    it('returns every type as a string when asked (fetchAsString)', async () => {
      const [row] = await run(sf, 'SELECT * FROM "DB"."Types"."all" WHERE "n0" < 0', { fetchAsString: ALL_AS_STRINGS });
      expect(row).toMatchObject({
        n0: '-9007199254740993',
        b: 'FALSE',
        d: '9999-12-31',
        bin: '',
        s: 'a😀\n"b\'c,d\\e',
      });
      // with the SDK's default representNullAsStringNull, fetchAsString turns NULL into 'NULL'
      const sdkDefault = await connect(service, { representNullAsStringNull: true });
      try {
        const [nulls] = await run(sdkDefault, 'SELECT "n9", "s", "d" FROM "DB"."Types"."all" WHERE "n0" = 3', {
          fetchAsString: ALL_AS_STRINGS,
        });
        expect(nulls).toEqual({ n9: 'NULL', s: 'NULL', d: 'NULL' });
      } finally {
        await close(sdkDefault);
        await close(await connect(service)); // back to representNullAsStringNull: false
      }
    });
  });

  describe('the load path, in the SQL the product emits', () => {
    const db = '"DB"';
    const schema = `${db}."Sch"`;
    const stage = `${schema}."_conduit_stage_x"`;
    const shadow = `${schema}."Orders__conduit_x"`;
    const target = `${schema}."Orders"`;
    const copyColumns = `("id","Name","doc","raw","ts")`;
    const fileFormat =
      `FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE_UNENCLOSED_FIELD = NONE ` +
      `NULL_IF = () EMPTY_FIELD_AS_NULL = TRUE BINARY_FORMAT = HEX COMPRESSION = AUTO) ON_ERROR = ABORT_STATEMENT`;
    // as the product loads: strict PARSE_JSON, binary decoded by the FILE_FORMAT's BINARY_FORMAT
    const copy = (files: string[]): string =>
      `COPY INTO ${shadow} ${copyColumns} FROM (SELECT $1, $2, PARSE_JSON($3), $4, $5 ` +
      `FROM @${stage}/orders/) FILES = (${files.map((f) => `'${f}'`).join(',')}) ${fileFormat}`;
    const put = (path: string): string =>
      `PUT 'file://${path}' @${stage}/orders/ AUTO_COMPRESS=FALSE ` +
      `SOURCE_COMPRESSION=${path.endsWith('.zst') ? 'ZSTD' : 'GZIP'} OVERWRITE=TRUE`;
    const comment = async (table: string): Promise<unknown> => {
      const rows = await session.query(
        `SELECT "COMMENT" AS "comment" FROM ${db}.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
        ['Sch', table],
      );
      return rows.length === 0 ? 'absent' : rows[0]?.comment;
    };

    // id, Name, doc (json), raw (bytea as hex), ts (timestamptz as PostgreSQL prints it)
    const part0: (string | null)[][] = [
      ['1', 'Alice', '{"a": 1}', '00ff', '2024-01-02 03:04:05.123456+00'],
      ['2', '', '[1, 2]', '', '2024-01-02 03:04:05+05:30'],
      ['3', null, 'null', null, null],
    ];
    const part1: (string | null)[][] = [
      ['4', 'line1\nline2 "quoted", with comma', '{}', 'abcd', '1999-12-31 23:59:59.999999-08'],
      ['5', '😀 ünïcode', '{"s": "x\\"y"}', '00', '2024-06-30 12:00:00+00'],
    ];

    it('creates schema and stage, PUTs gzip and zstd files, COPYs both in one statement, per file', async () => {
      const file0 = join(scratch, 'part-00000.csv.gz');
      const file1 = join(scratch, 'part-00001.csv.zst');
      writeFileSync(file0, gzipSync(pgCsv(part0)));
      // Workers with and without the zstd program stage files of both codecs for one COPY (COMPRESSION = AUTO).
      writeFileSync(file1, execFileSync('zstd', ['-q', '-c'], { input: pgCsv(part1) }));

      expect(await run(sf, `CREATE SCHEMA IF NOT EXISTS ${schema}`)).toHaveLength(1);
      expect(await run(sf, `CREATE STAGE IF NOT EXISTS ${stage}`)).toHaveLength(1);
      expect(await run(sf, `CREATE STAGE IF NOT EXISTS ${stage}`)).toEqual([
        { status: '_conduit_stage_x already exists, statement succeeded.' },
      ]);

      const uploaded = await run(sf, put(file0));
      expect(uploaded).toEqual([
        expect.objectContaining({ source: 'part-00000.csv.gz', target: 'part-00000.csv.gz', status: 'UPLOADED' }),
      ]);
      await run(sf, put(file1));
      // OVERWRITE=TRUE replaces; without it an existing file is skipped, as in Snowflake
      expect(await run(sf, put(file1))).toEqual([expect.objectContaining({ status: 'UPLOADED' })]);
      expect(await run(sf, put(file1).replace(' OVERWRITE=TRUE', ''))).toEqual([
        expect.objectContaining({ status: 'SKIPPED' }),
      ]);
      expect(
        existsSync(join(service.dataDir, 'stages', 'DB', 'Sch', '_conduit_stage_x', 'orders', 'part-00001.csv.zst')),
      ).toBe(true);

      await run(
        sf,
        `CREATE OR REPLACE TABLE ${shadow} ("id" NUMBER(19,0), "Name" VARCHAR, "doc" VARIANT, "raw" ` +
          `BINARY, "ts" TIMESTAMP_TZ(6)) COMMENT = 'conduit:run-x'`,
      );
      const loaded = await run(sf, copy(['part-00000.csv.gz', 'part-00001.csv.zst']), { fetchAsString: ['Number'] });
      expect(loaded).toEqual([
        expect.objectContaining({
          file: '_conduit_stage_x/orders/part-00000.csv.gz',
          status: 'LOADED',
          rows_parsed: '3',
          rows_loaded: '3',
        }),
        expect.objectContaining({
          file: '_conduit_stage_x/orders/part-00001.csv.zst',
          status: 'LOADED',
          rows_parsed: '2',
          rows_loaded: '2',
        }),
      ]);
      // load metadata: the same files are not loaded twice into the same table
      expect(await run(sf, copy(['part-00000.csv.gz', 'part-00001.csv.zst']))).toEqual([
        { status: 'Copy executed with 0 files processed.' },
      ]);
      expect(await session.query(`SELECT COUNT(*) AS "rows" FROM ${shadow}`)).toEqual([{ rows: '5' }]);
    });

    it('keeps empty string and NULL apart, and every value exact', async () => {
      const rows = await run(sf, `SELECT "id", "Name", "doc", "raw", "ts" FROM ${shadow} ORDER BY "id"`, {
        fetchAsString: ['Number', 'Buffer', 'JSON'],
      });
      const json = (value: unknown): unknown => {
        const text = valueText(value);
        return text === null ? null : JSON.parse(text);
      };
      expect(rows.map((r) => [r.id, r.Name, json(r.doc), r.raw])).toEqual([
        ['1', 'Alice', { a: 1 }, '00FF'],
        ['2', '', [1, 2], ''], // "" is an empty string, so an empty binary
        ['3', null, null, null],
        ['4', 'line1\nline2 "quoted", with comma', {}, 'ABCD'],
        ['5', '😀 ünïcode', { s: 'x"y' }, '00'],
      ]);
      const instants = await run(sf, `SELECT "ts" FROM ${shadow} ORDER BY "id"`);
      expect(instants.map((r) => (r.ts === null ? null : (r.ts as Date).getTime()))).toEqual([
        Date.parse('2024-01-02T03:04:05.123Z'),
        Date.parse('2024-01-01T21:34:05Z'),
        null,
        Date.parse('2000-01-01T07:59:59.999Z'),
        Date.parse('2024-06-30T12:00:00Z'),
      ]);
      const nulls = await session.query(`SELECT COUNT(*) AS "n" FROM ${shadow} WHERE "Name" IS NULL`);
      const empties = await session.query(`SELECT COUNT(*) AS "n" FROM ${shadow} WHERE "Name" = ''`);
      expect([nulls, empties]).toEqual([[{ n: '1' }], [{ n: '1' }]]);
      // the JSON literal null is a VARIANT null, not SQL NULL
      expect(await session.query(`SELECT COUNT(*) AS "n" FROM ${shadow} WHERE "doc" IS NULL`)).toEqual([{ n: '0' }]);
    });

    it('loads nothing from a COPY that fails (ABORT_STATEMENT), quickly and with a clear error', async () => {
      const bad = join(scratch, 'part-00002.csv.gz');
      writeFileSync(
        bad,
        gzipSync(
          pgCsv([
            ['6', 'ok', '{}', null, null],
            ['7', 'bad json', '{"unterminated', null, null],
          ]),
        ),
      );
      await run(sf, put(bad));
      const started = Date.now();
      const error = await failure(run(sf, copy(['part-00002.csv.gz'])));
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(error.message).toMatch(/JSON/);
      expect(await session.query(`SELECT COUNT(*) AS "rows" FROM ${shadow}`)).toEqual([{ rows: '5' }]);
      const missing = await failure(run(sf, copy(['part-09999.csv.gz'])));
      expect(missing.message).toMatch(/part-09999\.csv\.gz' was not found/);
    });

    it('reads the table comment with binds', async () => {
      expect(await comment('Orders__conduit_x')).toBe('conduit:run-x');
      expect(await comment('Orders')).toBe('absent');
    });

    it('renames the shadow over a missing target; comment and load metadata follow the table', async () => {
      await run(sf, `ALTER TABLE ${shadow} RENAME TO ${target}`);
      expect(await comment('Orders')).toBe('conduit:run-x');
      expect(await comment('Orders__conduit_x')).toBe('absent');
      await run(
        sf,
        `CREATE OR REPLACE TABLE ${shadow} ("id" NUMBER(19,0), "Name" VARCHAR, "doc" VARIANT, "raw" ` +
          `BINARY, "ts" TIMESTAMP_TZ(6)) COMMENT = 'conduit:run-y'`,
      );
      // a new table object has no load metadata: the same files load again
      const reloaded = await run(sf, copy(['part-00000.csv.gz']), { fetchAsString: ['Number'] });
      expect(reloaded).toEqual([expect.objectContaining({ status: 'LOADED', rows_loaded: '3' })]);
    });

    it('swaps target and shadow atomically, comments and load metadata included', async () => {
      await run(sf, `ALTER TABLE ${target} SWAP WITH ${shadow}`);
      expect(await session.query(`SELECT COUNT(*) AS "rows" FROM ${target}`)).toEqual([{ rows: '3' }]);
      expect(await session.query(`SELECT COUNT(*) AS "rows" FROM ${shadow}`)).toEqual([{ rows: '5' }]);
      expect(await comment('Orders')).toBe('conduit:run-y');
      expect(await comment('Orders__conduit_x')).toBe('conduit:run-x');
      // load metadata went with the data: the table now called "Orders__conduit_x" loaded part-00001
      expect(await run(sf, copy(['part-00001.csv.zst']))).toEqual([
        { status: 'Copy executed with 0 files processed.' },
      ]);
    });

    it('swap works for quoted mixed-case names with spaces and fails clearly for a missing table', async () => {
      await run(sf, 'CREATE SCHEMA IF NOT EXISTS "DB"."Schema"');
      await run(sf, `CREATE OR REPLACE TABLE "DB"."Schema"."Mixed Case" ("v" VARCHAR) COMMENT = 'old'`);
      await run(sf, `INSERT INTO "DB"."Schema"."Mixed Case" VALUES ('old')`);
      await run(sf, `CREATE OR REPLACE TABLE "DB"."Schema"."Mixed Case__conduit_x" ("v" VARCHAR) COMMENT = 'new'`);
      await run(sf, `INSERT INTO "DB"."Schema"."Mixed Case__conduit_x" VALUES ('new')`);
      await run(sf, 'ALTER TABLE "DB"."Schema"."Mixed Case" SWAP WITH "DB"."Schema"."Mixed Case__conduit_x"');
      expect(await run(sf, 'SELECT "v" FROM "DB"."Schema"."Mixed Case"')).toEqual([{ v: 'new' }]);
      expect(await run(sf, 'SELECT "v" FROM "DB"."Schema"."Mixed Case__conduit_x"')).toEqual([{ v: 'old' }]);
      const comments = await session.query(
        `SELECT TABLE_NAME AS "name", "COMMENT" AS "comment" FROM "DB".INFORMATION_SCHEMA.TABLES WHERE ` +
          `TABLE_SCHEMA = ? ORDER BY TABLE_NAME`,
        ['Schema'],
      );
      expect(comments).toEqual([
        { name: 'Mixed Case', comment: 'new' },
        { name: 'Mixed Case__conduit_x', comment: 'old' },
      ]);
      const error = await failure(run(sf, 'ALTER TABLE "DB"."Schema"."Mixed Case" SWAP WITH "DB"."Schema"."Nope"'));
      expect(error.message).toMatch(/Object 'DB."Schema"."Nope"' does not exist or not authorized/);
      expect(error.code).toBe('002003');
    });

    it('the product dialect: stage with a COMMENT, PUT at the stage root, PARSE_JSON()::ARRAY, NOT NULL', async () => {
      const productStage = `${schema}."_conduit_stage_p"`;
      await run(sf, `CREATE STAGE IF NOT EXISTS ${productStage} COMMENT = 'conduit run-scoped stage'`);
      const file = join(scratch, 'p-00000.csv.gz');
      writeFileSync(
        file,
        gzipSync(
          pgCsv([
            ['1', '{"a","b"}', '["a", "b"]'],
            ['2', '', '[]'],
          ]),
        ),
      );
      await run(
        sf,
        `PUT 'file://${file}' @${productStage} AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP OVERWRITE = TRUE`,
      );
      await run(
        sf,
        `CREATE OR REPLACE TABLE ${schema}."P" ("id" NUMBER(19,0) NOT NULL, "raw" VARCHAR, "tags" ARRAY) ` +
          `COMMENT = 'conduit:p'`,
      );
      const loaded = await run(
        sf,
        `COPY INTO ${schema}."P" ("id", "raw", "tags") ` +
          `FROM (SELECT $1, $2, PARSE_JSON($3)::ARRAY FROM @${productStage}) ` +
          `FILES = ('p-00000.csv.gz') ${fileFormat}`,
        { fetchAsString: ['Number'] },
      );
      expect(loaded).toEqual([
        expect.objectContaining({ file: '_conduit_stage_p/p-00000.csv.gz', status: 'LOADED', rows_loaded: '2' }),
      ]);
      expect(await run(sf, `SELECT "id", "raw", "tags" FROM ${schema}."P" ORDER BY "id"`)).toEqual([
        { id: 1, raw: '{"a","b"}', tags: ['a', 'b'] },
        { id: 2, raw: '', tags: [] },
      ]);
    });

    it('drops tables and stages; dropping a stage removes its files', async () => {
      expect(await run(sf, `DROP TABLE IF EXISTS ${shadow}`)).toHaveLength(1);
      expect(await run(sf, `DROP TABLE IF EXISTS ${shadow}`)).toHaveLength(1);
      expect(await comment('Orders__conduit_x')).toBe('absent');
      const stageDir = join(service.dataDir, 'stages', 'DB', 'Sch', '_conduit_stage_x');
      expect(existsSync(stageDir)).toBe(true);
      expect(await run(sf, `DROP STAGE IF EXISTS ${stage}`)).toEqual([
        { status: '_conduit_stage_x successfully dropped.' },
      ]);
      expect(existsSync(stageDir)).toBe(false);
      expect(await run(sf, `DROP STAGE IF EXISTS ${stage}`)).toHaveLength(1);
      const listed = await failure(run(sf, `LIST @${stage}`));
      expect(listed.message).toMatch(/does not exist or not authorized/);
    });
  });

  describe('as strict as Snowflake', () => {
    it('refuses NUMBER types outside precision 1–38 and scale 0–37 (at most the precision)', async () => {
      await run(sf, 'CREATE SCHEMA IF NOT EXISTS "DB"."Strict"');
      for (const [type, problem] of [
        ['NUMBER(38,38)', /scale 38 is out of range \[0, 37\]/],
        ['NUMBER(43,0)', /precision 43 is out of range \[1, 38\]/],
        ['DECIMAL(5,6)', /scale 6 is out of range \[0, 5\]/],
        ['NUMERIC(0,0)', /precision 0 is out of range \[1, 38\]/],
      ] as const) {
        const error = await failure(run(sf, `CREATE OR REPLACE TABLE "DB"."Strict"."N" ("n" ${type})`));
        expect(error.message).toMatch(/^SQL compilation error:/);
        expect(error.message).toMatch(problem);
        expect(error.code).toBe('002040');
      }
      expect((await failure(run(sf, 'SELECT 1::NUMBER(39,2) AS "n"'))).message).toMatch(/precision 39/);
      await run(sf, 'CREATE OR REPLACE TABLE "DB"."Strict"."N" ("n" NUMBER(38,37), "m" NUMBER(38,0), "d" NUMBER)');
      const fraction = `0.${'1234567890'.repeat(3)}1234567`;
      await run(sf, `INSERT INTO "DB"."Strict"."N" VALUES (${fraction}, 12345678901234567890123456789012345678, 1)`);
      expect(await run(sf, 'SELECT "n", "m" FROM "DB"."Strict"."N"', { fetchAsString: ['Number'] })).toEqual([
        { n: fraction, m: '12345678901234567890123456789012345678' },
      ]);
    });

    it("PARSE_JSON is strict by default: a duplicate key fails, also nested; 'd' accepts it", async () => {
      for (const doc of ['{"a": 1, "a": 2}', '[1, {"b": {"c": 1, "c": 1}}]']) {
        const error = await failure(run(sf, `SELECT PARSE_JSON('${doc}') AS "v"`));
        expect(error.message).toMatch(/Error parsing JSON: duplicate object attribute/);
        expect(error.code).toBe('100069');
        expect((await failure(run(sf, `SELECT PARSE_JSON('${doc}', 's') AS "v"`))).code).toBe('100069');
        expect(await run(sf, `SELECT PARSE_JSON('${doc}', 'd') IS NOT NULL AS "ok"`)).toEqual([{ ok: true }]);
      }
      expect(await run(sf, `SELECT PARSE_JSON('{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]}') AS "v"`)).toEqual([
        { v: { a: { a: 1 }, b: [{ a: 2 }, { a: 3 }] } },
      ]);
    });

    it("a strict PARSE_JSON in a COPY aborts the whole COPY on one duplicate key; 'd' loads it", async () => {
      const stage = '"DB"."Strict"."_conduit_stage_j"';
      await run(sf, `CREATE STAGE IF NOT EXISTS ${stage}`);
      const file = join(scratch, 'dup-00000.csv.gz');
      writeFileSync(
        file,
        gzipSync(
          pgCsv([
            ['1', '{"a": 1}'],
            ['2', '{"k": "x", "k": "y"}'],
          ]),
        ),
      );
      await run(sf, `PUT 'file://${file}' @${stage} AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP OVERWRITE = TRUE`);
      await run(sf, 'CREATE OR REPLACE TABLE "DB"."Strict"."J" ("id" NUMBER(10,0), "doc" VARIANT)');
      const load = (parse: string): Promise<Row[]> =>
        run(
          sf,
          `COPY INTO "DB"."Strict"."J" ("id", "doc") FROM (SELECT $1, ${parse} FROM @${stage}) ` +
            `FILES = ('dup-00000.csv.gz') FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '"') ` +
            'ON_ERROR = ABORT_STATEMENT',
        );
      expect((await failure(load('PARSE_JSON($2)'))).message).toMatch(/duplicate object attribute/);
      expect(await session.query('SELECT COUNT(*) AS "n" FROM "DB"."Strict"."J"')).toEqual([{ n: '0' }]);
      expect(await load("PARSE_JSON($2, 'd')")).toEqual([expect.objectContaining({ status: 'LOADED' })]);
      expect(await session.query('SELECT COUNT(*) AS "n" FROM "DB"."Strict"."J"')).toEqual([{ n: '2' }]);
    });
  });

  it('serves parallel sessions: concurrent PUTs to one stage, then COPY and SWAP beside readers', async () => {
    await run(sf, 'CREATE SCHEMA IF NOT EXISTS "DB"."Par"');
    await run(sf, 'CREATE STAGE IF NOT EXISTS "DB"."Par"."_conduit_stage_p"');
    const workers = await Promise.all([0, 1, 2, 3].map(() => connect(service)));
    try {
      await Promise.all(
        workers.map(async (worker, i) => {
          const file = join(scratch, `par-${i}.csv.gz`);
          writeFileSync(file, gzipSync(pgCsv(Array.from({ length: 1000 }, (_, j) => [String(i * 1000 + j), `w${i}`]))));
          await run(
            worker,
            `PUT 'file://${file}' @"DB"."Par"."_conduit_stage_p" AUTO_COMPRESS = FALSE SOURCE_COMPRESSION ` +
              `= GZIP OVERWRITE = TRUE`,
          );
        }),
      );
      await run(sf, `CREATE OR REPLACE TABLE "DB"."Par"."T" ("id" NUMBER(19,0), "w" VARCHAR) COMMENT = 'old'`);
      await run(sf, `CREATE OR REPLACE TABLE "DB"."Par"."T__new" ("id" NUMBER(19,0), "w" VARCHAR) COMMENT = 'new'`);
      const loaded = await run(
        sf,
        `COPY INTO "DB"."Par"."T__new" ("id", "w") FROM (SELECT $1, $2 FROM @"DB"."Par"."_conduit_stage_p") ` +
          `FILES = ('par-0.csv.gz', 'par-1.csv.gz', 'par-2.csv.gz', 'par-3.csv.gz') ` +
          `FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE_UNENCLOSED_FIELD = NONE ` +
          `NULL_IF = () EMPTY_FIELD_AS_NULL = TRUE COMPRESSION = GZIP) ON_ERROR = ABORT_STATEMENT`,
      );
      expect(loaded).toHaveLength(4);
      // readers see either the old or the new table with its own comment, never a mix
      const read = async (worker: Connection): Promise<string> => {
        const [row] = await run(
          worker,
          `SELECT (SELECT COUNT(*) FROM "DB"."Par"."T") AS "n", (SELECT "COMMENT" FROM ` +
            `"DB".INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'Par' AND TABLE_NAME = 'T') AS "c"`,
          { fetchAsString: ['Number'] },
        );
        return `${String(row?.n)}:${String(row?.c)}`;
      };
      const [seen] = await Promise.all([
        Promise.all(workers.flatMap((worker) => [read(worker), read(worker), read(worker)])),
        run(sf, 'ALTER TABLE "DB"."Par"."T" SWAP WITH "DB"."Par"."T__new"'),
      ]);
      for (const state of seen) expect(['0:old', '4000:new']).toContain(state);
      expect(await read(sf)).toBe('4000:new');
    } finally {
      await Promise.all(workers.map(close));
    }
  });

  it('answers failing statements fast with Snowflake-style errors, also ones fakesnow cannot run', async () => {
    let started = Date.now();
    const missing = await failure(run(sf, 'SELECT * FROM "DB"."Sch"."NoSuchTable"'));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(missing.code).toBe('002003');
    expect(missing.sqlState).toBe('42S02');

    started = Date.now();
    const unsupported = await failure(run(sf, 'SELECT \'1 day\'::INTERVAL AS "i"'));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(unsupported.message).toMatch(/emulator \(fakesnow\) does not support this statement/);
    expect(unsupported.code).toBe('002140');

    // the session is still usable
    expect(await session.query('SELECT 1 AS "one"')).toEqual([{ one: '1' }]);
  });

  it('matches quoted names exactly, as Snowflake does, and refuses what it cannot hold', async () => {
    await run(sf, 'CREATE SCHEMA IF NOT EXISTS "DB"."Case_Sch"');
    await run(sf, 'CREATE TABLE "DB"."Case_Sch"."Orders" ("id" NUMBER(10,0))');
    await run(sf, `INSERT INTO "DB"."Case_Sch"."Orders" VALUES (1)`);
    expect(await run(sf, 'SELECT "id" FROM "DB"."Case_Sch"."Orders"', { fetchAsString: ['Number'] })).toEqual([
      { id: '1' },
    ]);
    const tables = await run(
      sf,
      `SELECT TABLE_NAME AS "t" FROM "DB".INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?`,
      {
        binds: ['Case_Sch'],
      },
    );
    expect(tables).toEqual([{ t: 'Orders' }]);
    // Unquoted names fold to upper case: neither ORDERS nor CASE_SCH exists.
    for (const other of ['"DB"."Case_Sch".ORDERS', '"DB".Case_Sch."Orders"', '"DB"."case_sch"."Orders"']) {
      const missing = await failure(run(sf, `SELECT * FROM ${other}`));
      expect(missing.code).toBe('002003');
      expect(missing.message).toMatch(/does not exist or not authorized/);
    }
    expect(await run(sf, 'DROP TABLE IF EXISTS "DB"."Case_Sch"."ORDERS"')).toHaveLength(1);
    expect(
      await run(sf, 'SELECT COUNT(*) AS "n" FROM "DB"."Case_Sch"."Orders"', { fetchAsString: ['Number'] }),
    ).toEqual([{ n: '1' }]);
    // Snowflake would hold both; DuckDB cannot, and the emulator says so rather than share one table.
    const both = await failure(run(sf, 'CREATE TABLE "DB"."Case_Sch".ORDERS ("id" NUMBER(10,0))'));
    expect(both.message).toMatch(/cannot create 'DB\.Case_Sch\.ORDERS' beside 'DB\.Case_Sch\.Orders'/);
  });

  it('takes stage references in single quotes and refuses unquoted ones that need quoting', async () => {
    await run(sf, 'CREATE SCHEMA IF NOT EXISTS "DB"."Stage Sch é"');
    await run(sf, `CREATE STAGE IF NOT EXISTS "DB"."Stage Sch é"."stg"`);
    const file = join(scratch, 'quoted.csv.gz');
    writeFileSync(file, gzipSync('1\n'));
    const unquoted = await failure(
      run(sf, `PUT 'file://${file}' @"DB"."Stage Sch é"."stg" AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP`),
    );
    expect(unquoted.code).toBe('001003');
    expect(unquoted.message).toMatch(/enclose the whole reference in single quotes/);
    await run(
      sf,
      `PUT 'file://${file}' '@"DB"."Stage Sch é"."stg"' AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP ` +
        'OVERWRITE = TRUE',
    );
    await run(sf, 'CREATE TABLE "DB"."Stage Sch é"."t" ("v" VARCHAR)');
    const copy =
      `COPY INTO "DB"."Stage Sch é"."t" ("v") FROM (SELECT $1 FROM STAGE) FILES = ('quoted.csv.gz') ` +
      'FILE_FORMAT = (TYPE = CSV)';
    const refused = await failure(run(sf, copy.replace('STAGE', '@"DB"."Stage Sch é"."stg"')));
    expect(refused.code).toBe('001003');
    await run(sf, copy.replace('STAGE', `'@"DB"."Stage Sch é"."stg"'`));
    expect(await run(sf, 'SELECT "v" FROM "DB"."Stage Sch é"."t"')).toEqual([{ v: '1' }]);
  });

  it('checks passwords: a wrong one is refused (390100, permanent); CREATE/DROP USER manage logins', async () => {
    const as = (user: string, password: string) =>
      connectSnowflake({ ...emulatorDestination(service), user, password });
    const refused = await as(service.user, 'not-the-password').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(PermanentError);
    expect(refused).toMatchObject({ kind: 'SnowflakeLogin' });
    expect((refused as PermanentError).message).toMatch(
      /Snowflake login refused \(390100\) .*Incorrect username or password was specified/,
    );

    await session.query(`CREATE USER "Loader" PASSWORD = 'it''s a secret'`);
    // Login names are case-insensitive; quotes in the password are SQL-escaped.
    const loader = await as('LOADER', "it's a secret");
    expect(await loader.query('SELECT 1 AS "one"')).toEqual([{ one: '1' }]);
    await loader.close();
    expect((await failure(run(sf, `CREATE USER "Loader" PASSWORD = 'x'`))).code).toBe('002002');
    expect(await session.query(`CREATE USER IF NOT EXISTS "Loader" PASSWORD = 'x'`)).toEqual([
      { status: 'LOADER already exists, statement succeeded.' },
    ]);

    await session.query('DROP USER "Loader"');
    await expect(as('Loader', "it's a secret")).rejects.toThrow(/390100/);
    expect((await failure(run(sf, 'DROP USER "Loader"'))).code).toBe('002003');
  });

  it('measures COPY INTO throughput for an 11-column gzip CSV', async () => {
    const rows = Number(process.env.CONDUIT_EMULATOR_BENCH_ROWS ?? 200_000);
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) {
      lines.push(
        [
          String(i),
          String(i % 1000),
          `${i}.${String(i % 100).padStart(2, '0')}`,
          String(i * 0.5),
          i % 2 === 0 ? 't' : 'f',
          pgCsvField(i % 10 === 0 ? '' : `name ${i}, "quoted"`),
          '2024-01-02',
          '2024-01-02 03:04:05.123456+00',
          pgCsvField(`{"k": ${i}}`),
          'deadbeef',
          i % 7 === 0 ? '' : `text-${i}`,
        ].join(','),
      );
    }
    const file = join(scratch, 'bench-00000.csv.gz');
    writeFileSync(file, gzipSync(lines.join('\n') + '\n', { level: 1 }));
    lines.length = 0;
    await run(sf, 'CREATE SCHEMA IF NOT EXISTS "DB"."Bench"');
    await run(sf, 'CREATE STAGE IF NOT EXISTS "DB"."Bench"."_conduit_stage_bench"');
    let started = Date.now();
    await run(
      sf,
      `PUT 'file://${file}' @"DB"."Bench"."_conduit_stage_bench" AUTO_COMPRESS = FALSE SOURCE_COMPRESSION ` +
        `= GZIP OVERWRITE = TRUE`,
    );
    const putMs = Date.now() - started;
    await run(
      sf,
      `CREATE OR REPLACE TABLE "DB"."Bench"."Bench" ("id" NUMBER(19,0), "n" NUMBER(10,0),
        "amount" NUMBER(12,2), "x" FLOAT, "flag" BOOLEAN, "name" VARCHAR, "day" DATE, "at" TIMESTAMP_TZ(6),
        "doc" VARIANT, "raw" BINARY, "note" VARCHAR)`,
    );
    started = Date.now();
    const result = await run(
      sf,
      `COPY INTO "DB"."Bench"."Bench" FROM (SELECT $1, $2, $3, $4, $5, $6, $7, $8, PARSE_JSON($9), $10, $11 ` +
        `FROM @"DB"."Bench"."_conduit_stage_bench") FILES = ('bench-00000.csv.gz') ` +
        `FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = () ` +
        `EMPTY_FIELD_AS_NULL = TRUE BINARY_FORMAT = HEX COMPRESSION = GZIP) ON_ERROR = ABORT_STATEMENT`,
      { fetchAsString: ['Number'] },
    );
    const copyMs = Date.now() - started;
    expect(result).toEqual([expect.objectContaining({ status: 'LOADED', rows_loaded: String(rows) })]);
    const perSecond = Math.round(rows / (copyMs / 1000));
    console.log(
      `COPY INTO: ${rows} rows (${statSync(file).size} bytes gzipped) in ${copyMs} ms (${perSecond} ` +
        `rows/s); PUT ${putMs} ms`,
    );
    const [check] = await run(
      sf,
      'SELECT COUNT(*) AS "n", COUNT("name") AS "named", COUNT_IF("name" = \'\') AS "empty" FROM "DB"."Bench"."Bench"',
      {
        fetchAsString: ['Number'],
      },
    );
    expect(check).toEqual({ n: String(rows), named: String(rows), empty: String(Math.ceil(rows / 10)) });
  }, 300_000);
});
