/**
 * Type fidelity through the real pipeline: a column per common PostgreSQL type, ordinary values,
 * boundaries and text that breaks naive CSV, compared value by value with what Snowflake returns;
 * then every edge under each onUnrepresentable policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { NativeConnection } from '@temporalio/worker';
import { startPipelineRun, waitForRun } from '../../src/client';
import { parsePipeline } from '../../src/config/load';
import { describeTable } from '../../src/connectors/postgres/catalog';
import type { ColumnKind } from '../../src/shared';
import { createConduitWorker } from '../../src/worker';
import { canonicalPgExpression, finishPgValue } from '../support/canonical';
import { Harness, workflowBundle } from '../support/harness';
import { scratchDir } from '../support/scratch';
import { sharedServices } from '../support/services';
import { known } from '../../src/invariant';

const services = sharedServices();
const exact = new Harness(services, { sourceSchema: 'types_src' });
const asNull = new Harness(services, {
  sourceSchema: 'edges_null_src',
  pipeline: { settings: { onUnrepresentable: 'null', partitionRows: 2 } },
});
const asString = new Harness(services, {
  sourceSchema: 'edges_string_src',
  pipeline: { settings: { onUnrepresentable: 'string' } },
});
const failing = new Harness(services, { sourceSchema: 'edges_fail_src' });
const numbers = new Harness(services, { sourceSchema: 'numbers_src' });
const numbersAsNull = new Harness(services, {
  sourceSchema: 'numbers_null_src',
  pipeline: { settings: { onUnrepresentable: 'null' } },
});
const corpus = new Harness(services, {
  sourceSchema: 'type_corpus_src',
  pipeline: { settings: { maxParallelTables: 4 } },
});
const choice = new Harness(services, {
  sourceSchema: 'choice_src',
  pipeline: {
    tables: [
      { name: 'choice_src.mixed', columns: { exclude: ['secret*', 'blob'], asText: ['shape', 'span'] } },
      { name: 'choice_src.refused' },
      { name: 'choice_src.keyed', mode: 'incremental_append', cursor: 'id', columns: { exclude: ['i?'] } },
    ],
  },
});
const all = [exact, asNull, asString, failing, numbers, numbersAsNull, corpus, choice];

/** NUMBER(precision,scale) of each column of a target table, by name. */
async function numberTypes(h: Harness, table: string): Promise<Record<string, string>> {
  const rows = await h.snowflake.query<{ name: string; precision: string | null; scale: string | null }>(
    `SELECT COLUMN_NAME AS "name", NUMERIC_PRECISION AS "precision", NUMERIC_SCALE AS "scale"
     FROM "${h.config.destination.database}".INFORMATION_SCHEMA.COLUMNS
     WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND DATA_TYPE = 'NUMBER' ORDER BY ORDINAL_POSITION`,
    [h.targetSchema, table],
  );
  return Object.fromEntries(rows.map((r) => [r.name, `NUMBER(${r.precision},${r.scale})`]));
}

beforeAll(async () => {
  await Promise.all(all.map((h) => h.start()));
});
afterAll(async () => {
  await Promise.all(all.map((h) => h.stop()));
});

const TRICKY_TEXT = [
  'comma, separated',
  'double "quoted" text',
  "apostrophe's",
  'line\nbreak',
  'windows\r\nline',
  'lone\rreturn',
  'tab\there',
  'back\\slash \\N \\\\',
  'NULL',
  '\\N',
  '  leading and trailing  ',
  'emoji 😀 and 𝄞 beyond the BMP, and ümlauts',
  '"',
  ',',
  '',
];

describe('type matrix', () => {
  it('lands every common type value-exact', async () => {
    const pg = exact.pg;
    await pg.query(`CREATE TYPE types_src.mood AS ENUM ('sad', 'ok', 'happy')`);
    await pg.query(`CREATE DOMAIN types_src.positive AS integer CHECK (VALUE > 0)`);
    await pg.query(`CREATE DOMAIN types_src.code AS varchar(8)`);
    await pg.query(`CREATE TABLE types_src.matrix (
      id integer PRIMARY KEY,
      c_smallint smallint, c_integer integer, c_bigint bigint,
      c_numeric numeric(10,3), c_numeric_wide numeric(50,10), c_numeric_free numeric,
      c_real real, c_double double precision, c_boolean boolean,
      c_char char(5), c_varchar varchar(10), c_text text,
      c_date date, c_time time, c_timestamp timestamp, c_timestamptz timestamptz, c_interval interval,
      c_uuid uuid, c_json json, c_jsonb jsonb, c_bytea bytea,
      c_int_array integer[], c_text_array text[],
      c_enum types_src.mood, c_domain types_src.positive, c_domain_text types_src.code,
      c_inet inet, c_cidr cidr, c_money money)`);
    await pg.query(`INSERT INTO types_src.matrix VALUES
      (1, 1, 2, 3, 1234567.891, 12345678901234567890.0123456789, 3.14159, 1.5, 2.25, true,
       'ab', 'hello', 'plain text', '2024-02-29', '13:45:30.123456', '2024-02-29 13:45:30.123456',
       '2024-02-29 13:45:30.123456+05:30', '1 year 2 months 3 days 04:05:06.5',
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
       '{"b": 1, "a": [1, 2, {"c": null}]}', '{"z": "last", "a": "first", "n": 1.5}', '\\xdeadbeef00ff',
       '{1,2,NULL,4}', '{"a","b c","with \\"quote\\"",NULL}', 'happy', 42, 'CODE-1', '192.168.1.10', '10.0.0.0/8',
       1234.56),
      (2, -32768, -2147483648, -9223372036854775808, -9999999.999, -99999999999999999999.9999999999,
       -0.000000000000000001, -3.4028235e38, -1.7976931348623157e308, false,
       'x', '', '', '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '-1 days -00:00:01',
       '00000000-0000-0000-0000-000000000000', '[]', '{}', '\\x', '{}', '{}', 'sad', 1, '', '::1', '::/0',
       -92233720368547758.08),
      (3, 32767, 2147483647, 9223372036854775807, 9999999.999, 99999999999999999999.9999999999,
       12345678901234567890.123456789, 3.4028235e38, 1.7976931348623157e308, NULL,
       'abcde', 'ünïcödé€€', repeat('long text ', 10000), '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999',
       '9999-12-31 23:59:59.999999+00', '178000000 years', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '"just a string"',
       '[1, "two", false, null]',
       decode(repeat('ab', 50000), 'hex'), '{-2147483648,2147483647}', '{"😀"}', 'ok', 2147483647, '12345678',
       '255.255.255.255', '192.168.0.0/16', 92233720368547758.07),
      (4, 0, 0, 0, 0.001, 0.0000000001, 0, 1e-45, 5e-324, true,
       NULL, NULL, NULL, '1970-01-01', '12:00:00', '1970-01-01 00:00:00', '1969-12-31 23:59:59.999999-08', '0 seconds',
       NULL, 'null', 'null', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0),
      (5, NULL, NULL, NULL, NULL, NULL, NULL, 'NaN', 'Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (6, NULL, NULL, NULL, NULL, NULL, NULL, '-Infinity', '-0', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
    await pg.query(
      `INSERT INTO types_src.matrix (id, c_text, c_varchar) SELECT 100 + i, t, left(t, 10) FROM ` +
        `unnest($1::text[]) WITH ORDINALITY AS x(t, i)`,
      [TRICKY_TEXT],
    );

    const outcome = await exact.runOk();
    expect(outcome.result.tables[0]).toMatchObject({ status: 'succeeded', rows: 6 + TRICKY_TEXT.length });
    expect(known(outcome.result.tables[0], 'the run has one table').unrepresentable).toBeUndefined();
    await exact.expectSameContent('matrix');

    const columns = await exact.snowflake.query<{
      name: string;
      type: string;
      precision: string | null;
      scale: string | null;
    }>(
      `SELECT COLUMN_NAME AS "name", DATA_TYPE AS "type", NUMERIC_PRECISION AS "precision", NUMERIC_SCALE AS "scale"
       FROM "${exact.config.destination.database}".INFORMATION_SCHEMA.COLUMNS
       WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'matrix' ORDER BY ORDINAL_POSITION`,
      [exact.targetSchema],
    );
    const typeOf = (name: string) => columns.find((c) => c.name === name);
    expect(typeOf('c_numeric')).toMatchObject({ type: 'NUMBER', precision: '10', scale: '3' });
    expect(typeOf('c_numeric_wide')).toMatchObject({ type: 'NUMBER', precision: '38', scale: '10' });
    expect(typeOf('c_numeric_free')).toMatchObject({ type: 'NUMBER', precision: '38', scale: '18' });
    expect(typeOf('c_money')).toMatchObject({ type: 'NUMBER', precision: '19', scale: '2' });
    expect(typeOf('c_timestamptz')?.type).toBe('TIMESTAMP_TZ');
    expect(typeOf('c_jsonb')?.type).toBe('VARIANT');
    // Declared ARRAY (see the DDL unit test); the emulator reports ARRAY columns as VARIANT
    // (docs/snowflake-emulator.md).
    expect(typeOf('c_int_array')?.type).toMatch(/^(ARRAY|VARIANT)$/);
    expect(typeOf('c_bytea')?.type).toBe('BINARY');
    expect(typeOf('c_real')?.type).toBe('FLOAT');
  });

  it('keeps every tricky string byte-exact and the empty string apart from NULL', async () => {
    const rows = await exact.snowflake.query<{ id: string; t: string | null }>(
      `SELECT "id", "c_text" AS "t" FROM "${exact.targetSchema}"."matrix" WHERE "id" >= 100 ORDER BY "id"`,
    );
    expect(rows.map((r) => r.t)).toEqual(TRICKY_TEXT);
    const [empty] = await exact.snowflake.query<{ empties: string; nulls: string }>(
      `SELECT COUNT_IF("c_text" = '') AS "empties", COUNT_IF("c_text" IS NULL) AS "nulls" FROM ` +
        `"${exact.targetSchema}"."matrix"`,
    );
    expect(empty).toEqual({ empties: '2', nulls: '3' });
  });

  it('lets JSON, arrays and binary be queried as such', async () => {
    const [row] = await exact.snowflake.query<{ first: string; second: string; bytes: string }>(
      `SELECT "c_jsonb":z::VARCHAR AS "first", "c_int_array"[1]::VARCHAR AS "second", HEX_ENCODE("c_bytea") AS "bytes"
       FROM "${exact.targetSchema}"."matrix" WHERE "id" = 1`,
    );
    expect(row).toEqual({ first: 'last', second: '2', bytes: 'DEADBEEF00FF' });
  });
});

async function createEdgeTable(h: Harness): Promise<void> {
  const schema = h.options.sourceSchema;
  await h.pg.query(
    `CREATE TABLE ${schema}.edges (id int PRIMARY KEY, d date, ts timestamp, tz timestamptz, t time, n ` +
      `numeric, ok text)`,
  );
  await h.pg.query(`INSERT INTO ${schema}.edges VALUES
    (1, '2020-01-01', '2020-01-01 10:00', '2020-01-01 10:00+00', '10:00', 1.5, 'fine'),
    (2, 'infinity', '-infinity', 'infinity', '24:00:00', 'NaN', 'edges'),
    (3, '0044-03-15 BC', '12000-01-01 00:00', '0100-01-01 00:00 BC', '23:59:59', 1e40, 'more edges'),
    (4, '-infinity', '2021-06-30 23:59:59.999999', NULL, NULL, -0.5, 'ordinary')`);
}

describe('values Snowflake cannot hold', () => {
  it('fail (the default): the table fails before loading, naming each column and count', async () => {
    await failing.pg.query(`CREATE TABLE edges_fail_src.edges (id int PRIMARY KEY, d date)`);
    await failing.pg.query(
      `INSERT INTO edges_fail_src.edges VALUES (1, '2020-01-01'), (2, 'infinity'), (3, '0044-03-15 BC')`,
    );
    const outcome = await failing.run();
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain('2 in "d" (date): dates outside years 1–9999');
    expect(outcome.message).toContain('onUnrepresentable');
    expect((await failing.destinationObjects()).tables).toEqual([]);
  });

  it('fail: numbers wider than NUMBER(38) are refused while planning, before any data moves', async () => {
    await failing.pg.query(`CREATE TABLE edges_fail_src.wide (id int PRIMARY KEY, n numeric)`);
    await failing.pg.query(`INSERT INTO edges_fail_src.wide VALUES (1, 1e40), (2, 0.5)`);
    const outcome = await failing.run(['edges_fail_src.wide']);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain(
      'column "n" of "edges_fail_src"."wide" (numeric) needs 42 digits (41 before the point, 1 after)',
    );
  });

  it('null: such values load as NULL, everything else exact, with counts in the summary', async () => {
    await createEdgeTable(asNull);
    const outcome = await asNull.runOk();
    const table = known(outcome.result.tables[0], 'the run has one table');
    expect(table.rows).toBe(4);
    expect(table.partitions).toBe(2);
    expect(table.unrepresentable).toEqual({ policy: 'null', columns: { d: 3, ts: 2, tz: 2, t: 1, n: 2 } });
    const rows = await asNull.snowflake.query<Record<string, string | null>>(
      `SELECT "id", TO_VARCHAR("d") AS "d", "n", "ok" FROM "${asNull.targetSchema}"."edges" ORDER BY "id"`,
    );
    expect(rows).toEqual([
      { id: '1', d: '2020-01-01', n: '1.5', ok: 'fine' },
      { id: '2', d: null, n: null, ok: 'edges' },
      { id: '3', d: null, n: null, ok: 'more edges' },
      { id: '4', d: null, n: '-0.5', ok: 'ordinary' },
    ]);
  });

  it('string: columns holding such values land as exact text; others keep their types', async () => {
    await createEdgeTable(asString);
    const outcome = await asString.runOk();
    expect(known(outcome.result.tables[0], 'the run has one table').unrepresentable).toEqual({
      policy: 'string',
      columns: { d: 3, ts: 2, tz: 2, t: 1, n: 2 },
    });
    const rows = await asString.snowflake.query<Record<string, string | null>>(
      `SELECT "id", "d", "ts", "tz", "t", "n", "ok" FROM "${asString.targetSchema}"."edges" ORDER BY "id"`,
    );
    expect(rows.map((r) => [r.d, r.ts, r.t, r.n])).toEqual([
      ['2020-01-01', '2020-01-01 10:00:00', '10:00:00', '1.5'],
      ['infinity', '-infinity', '24:00:00', 'NaN'],
      ['0044-03-15 BC', '12000-01-01 00:00:00', '23:59:59', `1${'0'.repeat(40)}`],
      ['-infinity', '2021-06-30 23:59:59.999999', null, '-0.5'],
    ]);
    expect(rows.map((r) => r.tz)).toEqual(['2020-01-01 10:00:00+00', 'infinity', '0100-01-01 00:00:00+00 BC', null]);
    const types = await asString.snowflake.query<{ name: string; type: string }>(
      `SELECT COLUMN_NAME AS "name", DATA_TYPE AS "type"
       FROM "${asString.config.destination.database}".INFORMATION_SCHEMA.COLUMNS
       WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'edges' ORDER BY ORDINAL_POSITION`,
      [asString.targetSchema],
    );
    expect(types.map((t) => t.type)).toEqual(['NUMBER', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'TEXT']);
  });
});

describe('numerics NUMBER cannot declare as they are', () => {
  const digits38 = `0.${'12345678901234567890123456789012345678'}`;

  it('numeric(38,38), a negative scale and 38 fraction digits land in valid NUMBER types, values exact', async () => {
    await numbers.pg.query(`CREATE TABLE numbers_src.shapes (id int PRIMARY KEY, all_fraction numeric(38,38),
      tens numeric(38,-5), tiny numeric(2,5), padded numeric)`);
    // padded: PostgreSQL keeps 38 fraction digits of display scale; the value needs one
    await numbers.pg.query(`INSERT INTO numbers_src.shapes VALUES
      (1, 0.1234567890123456789012345678901234567, 12300000, 0.00099, 0.10000000000000000000000000000000000000),
      (2, -0.5, -99999999999999999999999999999999900000, -0.00001, 0.5),
      (3, NULL, NULL, NULL, NULL)`);
    const outcome = await numbers.runOk(['numbers_src.shapes']);
    expect(outcome.result.tables[0]).toMatchObject({ status: 'succeeded', rows: 3 });
    expect(await numberTypes(numbers, 'shapes')).toEqual({
      id: 'NUMBER(10,0)',
      all_fraction: 'NUMBER(38,37)',
      tens: 'NUMBER(38,0)',
      tiny: 'NUMBER(5,5)',
      padded: 'NUMBER(38,1)',
    });
    await numbers.expectSameContent('shapes');
  });

  it('fail: a value with a 38th fraction digit fails the table, naming the column and the ways out', async () => {
    await numbers.pg.query(`CREATE TABLE numbers_src.too_fine (id int PRIMARY KEY, f numeric(38,38))`);
    await numbers.pg.query(`INSERT INTO numbers_src.too_fine VALUES (1, 0.5), (2, ${digits38})`);
    const outcome = await numbers.run(['numbers_src.too_fine']);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain(
      '1 in "f" (numeric(38,38)): NaN or numbers that do not fit precision 38, scale 37',
    );
    expect(outcome.message).toContain('set settings.onUnrepresentable to "null"');
    expect(outcome.message).toContain('"string"');
  });

  it('fail: numbers needing over 38 digits are refused while preparing, naming digits and ways out', async () => {
    await numbers.pg.query(`CREATE TABLE numbers_src.too_wide (id int PRIMARY KEY, n numeric)`);
    await numbers.pg.query(`INSERT INTO numbers_src.too_wide VALUES (1, 1e40), (2, 1.5), (3, 0.${'0'.repeat(39)}1)`);
    const outcome = await numbers.run(['numbers_src.too_wide']);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain(
      'column "n" of "numbers_src"."too_wide" (numeric) needs 81 digits (41 before the point, 40 after)',
    );
    expect(outcome.message).toContain('NUMBER(38,1) would hold 1 of its 3 values exactly');
    expect(outcome.message).toContain('settings.onUnrepresentable to "null"');
    expect(outcome.message).toContain('"string" (the column lands as VARCHAR');
    expect((await numbers.destinationObjects()).tables).not.toContain('too_wide');
  });

  it('null: the scale keeping the most values is chosen; the rest load as NULL, counted, none rounded', async () => {
    await numbersAsNull.pg.query(
      `CREATE TABLE numbers_null_src.mixed (id int PRIMARY KEY, n numeric, f numeric(38,38))`,
    );
    await numbersAsNull.pg.query(`INSERT INTO numbers_null_src.mixed VALUES
      (1, 1e40, 0.5), (2, 1e-40, ${digits38}), (3, 1.5, NULL), (4, 2.5, NULL),
      (5, 12345678901234567890123456789012345.5, NULL)`);
    const outcome = await numbersAsNull.runOk(['numbers_null_src.mixed']);
    const table = outcome.result.tables[0];
    expect(table?.unrepresentable).toEqual({ policy: 'null', columns: { n: 2, f: 1 } });
    expect(await numberTypes(numbersAsNull, 'mixed')).toEqual({
      id: 'NUMBER(10,0)',
      n: 'NUMBER(38,1)',
      f: 'NUMBER(38,37)',
    });
    const rows = await numbersAsNull.snowflake.query<Record<string, string | null>>(
      `SELECT "id", TO_VARCHAR("n") AS "n", TO_VARCHAR("f") AS "f"
       FROM "${numbersAsNull.targetSchema}"."mixed" ORDER BY "id"`,
    );
    expect(rows).toEqual([
      { id: '1', n: null, f: `0.5${'0'.repeat(36)}` },
      { id: '2', n: null, f: null },
      { id: '3', n: '1.5', f: null },
      { id: '4', n: '2.5', f: null },
      { id: '5', n: '12345678901234567890123456789012345.5', f: null },
    ]);
  });
});

describe('json with duplicate keys', () => {
  it('loads a json value with a duplicate key, keeping its last value as jsonb does', async () => {
    await numbers.pg.query(`CREATE TABLE numbers_src.docs (id int PRIMARY KEY, doc json, docs json[])`);
    // a strict PARSE_JSON of row 1 or 2 as written would abort the whole COPY
    await numbers.pg.query(`INSERT INTO numbers_src.docs VALUES
      (1, '{"a": 1, "n": {"b": 1, "b": [2]}, "a": "last"}', ARRAY['{"k": "x", "k": "y"}', '[]']::json[]),
      (2, '{"b": [1, {"c": true, "c": false}]}', NULL),
      (3, '{"e": "\\ud83d\\ude00", "q": "a\\"b"}', ARRAY['{"s": "\\ud83d\\ude00"}']::json[])`);
    const outcome = await numbers.runOk(['numbers_src.docs']);
    expect(outcome.result.tables[0]).toMatchObject({ status: 'succeeded', rows: 3 });
    const rows = await numbers.snowflake.query<Record<string, string | null>>(
      `SELECT "id", "doc":a::VARCHAR AS "a", TO_JSON("doc":n) AS "n", "doc":b[1]:c::VARCHAR AS "c",
              "docs"[0]:k::VARCHAR AS "k", "doc":e::VARCHAR AS "e"
       FROM "${numbers.targetSchema}"."docs" ORDER BY "id"`,
    );
    expect(rows).toEqual([
      { id: '1', a: 'last', n: '{"b":[2]}', c: null, k: 'y', e: null },
      { id: '2', a: null, n: null, c: 'false', k: null, e: null },
      { id: '3', a: null, n: null, c: null, k: null, e: '😀' },
    ]);
    // JSON.parse keeps a duplicated key's last value too, so the comparison checks exactly that
    await numbers.expectSameContent('docs');
  });
});

/** One table per type: `v` holds each value (SQL literals), `id` numbers the rows. */
interface CorpusTable {
  name: string;
  type: string;
  values: string[];
  /** The value each row lands as, read back with TO_JSON (structured types) or as text. */
  expected?: unknown[];
}

const range = (lower: unknown, upper: unknown, lowerInclusive: boolean, upperInclusive: boolean) => ({
  lower,
  upper,
  lower_inclusive: lowerInclusive,
  upper_inclusive: upperInclusive,
  empty: false,
});
const EMPTY_RANGE = { lower: null, upper: null, lower_inclusive: false, upper_inclusive: false, empty: true };

/** Built-in types the first peers' corpus had refused, arrays of each, and extension types (schema `x`). */
function corpusTables(x: string): CorpusTable[] {
  const tables: CorpusTable[] = [
    { name: 'bit', type: 'bit(4)', values: [`B'1010'`, `B'0000'`, 'NULL'], expected: ['1010', '0000', null] },
    { name: 'varbit', type: 'bit varying', values: [`B''`, `B'1'`, `B'${'10'.repeat(50)}'`] },
    { name: 'point', type: 'point', values: [`'(1.5,-0.1)'`, `'(1e300,-1e-300)'`, 'NULL'] },
    { name: 'line', type: 'line', values: [`'{1,-1,0.5}'`] },
    { name: 'lseg', type: 'lseg', values: [`'[(0,0),(1,1.25)]'`] },
    { name: 'box', type: 'box', values: [`'(1,1),(0,0)'`] },
    { name: 'path', type: 'path', values: [`'[(0,0),(1,1),(2,0)]'`, `'((0,0),(1,1))'`] },
    { name: 'polygon', type: 'polygon', values: [`'((0,0),(1,1),(1,0))'`] },
    { name: 'circle', type: 'circle', values: [`'<(0,0),2.5>'`] },
    { name: 'tsvector', type: 'tsvector', values: [`'fat:2,4 cat:3 rat:5A'`, `''`, `$$'it''s':1$$`] },
    { name: 'tsquery', type: 'tsquery', values: [`'fat & (rat | !cat)'`, `'sup:*'`] },
    { name: 'pg_lsn', type: 'pg_lsn', values: [`'16/B374D848'`, `'0/0'`, `'FFFFFFFF/FFFFFFFF'`] },
    { name: 'txid_snapshot', type: 'txid_snapshot', values: [`'10:20:10,14,15'`, `'1:1:'`] },
    { name: 'pg_snapshot', type: 'pg_snapshot', values: [`'10:20:10,14,15'`] },
    { name: 'xml', type: 'xml', values: [`'<a b="1">x &amp; y</a>'`, `'just text'`, 'NULL'] },
    { name: 'oid', type: 'oid', values: ['0', '4294967295'], expected: ['0', '4294967295'] },
    { name: 'xid', type: 'xid', values: [`'0'`, `'4294967295'`] },
    { name: 'cid', type: 'cid', values: [`'7'`] },
    { name: 'xid8', type: 'xid8', values: [`'0'`, `'18446744073709551615'`], expected: ['0', '18446744073709551615'] },
    { name: 'char1', type: '"char"', values: [`'a'`, `''`] },
    { name: 'tid', type: 'tid', values: [`'(0,1)'`, `'(4294967295,65535)'`] },
    { name: 'regtype', type: 'regtype', values: [`'integer'`, `'text[]'`] },
    {
      name: 'int4range',
      type: 'int4range',
      values: [`'[1,5)'`, `'empty'`, `'(,10]'`, `'[3,)'`, 'NULL'],
      expected: [
        range(1, 5, true, false),
        EMPTY_RANGE,
        range(null, 11, false, false),
        range(3, null, true, false),
        null,
      ],
    },
    { name: 'int8range', type: 'int8range', values: [`'[-9223372036854775807,0]'`] },
    {
      name: 'numrange',
      type: 'numrange',
      values: [`'[1.5,2.25]'`, `'(,)'`],
      expected: [range(1.5, 2.25, true, true), range(null, null, false, false)],
    },
    {
      name: 'daterange',
      type: 'daterange',
      values: [`'[2024-01-01,infinity)'`],
      expected: [range('2024-01-01', 'infinity', true, false)],
    },
    { name: 'tsrange', type: 'tsrange', values: [`'[2024-01-01 10:00,2024-01-02 00:00:00.5)'`] },
    {
      name: 'tstzrange',
      type: 'tstzrange',
      values: [`'[2024-01-01 00:00+00,2024-06-01 12:30+02)'`],
      expected: [range('2024-01-01T00:00:00+00:00', '2024-06-01T10:30:00+00:00', true, false)],
    },
    {
      name: 'int4multirange',
      type: 'int4multirange',
      values: [`'{[1,3),[5,7]}'`, `'{}'`, 'NULL'],
      expected: [[range(1, 3, true, false), range(5, 8, true, false)], [], null],
    },
    { name: 'datemultirange', type: 'datemultirange', values: [`'{[2024-01-01,2024-02-01),[2025-01-01,)}'`] },
    {
      name: 'bytea_array',
      type: 'bytea[]',
      values: [`'{"\\\\xdead",NULL,"\\\\x"}'`, `'{{"\\\\x01","\\\\x02"},{"\\\\x03",NULL}}'`, `'{}'`, 'NULL'],
      expected: [
        ['dead', null, ''],
        [
          ['01', '02'],
          ['03', null],
        ],
        [],
        null,
      ],
    },
    { name: 'money_array', type: 'money[]', values: [`'{1.5,-2,NULL}'`], expected: [[1.5, -2, null]] },
    {
      name: 'interval_array',
      type: 'interval[]',
      values: [`'{"1 day","-1 sec","1 year 2 months 3 days 04:05:06.5"}'`],
      expected: [['P1D', 'PT-1S', 'P1Y2M3DT4H5M6.5S']],
    },
    {
      name: 'inet_array',
      type: 'inet[]',
      values: [`'{192.168.1.10,::1,NULL}'`],
      expected: [['192.168.1.10', '::1', null]],
    },
    { name: 'cidr_array', type: 'cidr[]', values: [`'{10.0.0.0/8}'`] },
    { name: 'macaddr_array', type: 'macaddr[]', values: [`'{08:00:2b:01:02:03}'`] },
    { name: 'name_array', type: 'name[]', values: [`'{pg_class,"a b"}'`] },
    { name: 'time_array', type: 'time[]', values: [`'{13:45:30.123456,24:00:00}'`] },
    { name: 'timetz_array', type: 'timetz[]', values: [`'{13:45:30+05:30}'`] },
    { name: 'enum_array', type: `${x}.mood[]`, values: [`'{sad,happy,NULL}'`], expected: [['sad', 'happy', null]] },
    { name: 'bit_array', type: 'bit(2)[]', values: [`'{01,10}'`] },
    { name: 'xml_array', type: 'xml[]', values: [`ARRAY['<a/>'::xml, NULL]`] },
    {
      name: 'range_array',
      type: 'int4range[]',
      values: [`'{"[1,2)",empty,NULL}'`],
      expected: [[range(1, 2, true, false), EMPTY_RANGE, null]],
    },
    { name: 'point_array', type: 'point[]', values: [`'{"(1,2)","(0.5,-3)"}'`] },
    { name: 'oid_array', type: 'oid[]', values: [`'{1,4294967295}'`], expected: [[1, 4294967295]] },
    { name: 'numeric_matrix', type: 'numeric[]', values: [`'{{1.5,NULL},{-2,0.001}}'`, `'[0:1]={7,8}'`] },
    { name: 'float_array', type: 'float8[]', values: [`'{NaN,Infinity,-0,1.5e300}'`] },
    { name: 'date_array', type: 'date[]', values: [`'{2024-02-29,infinity}'`] },
    { name: 'timestamptz_array', type: 'timestamptz[]', values: [`'{"2024-02-29 13:45:30.5+05:30"}'`] },
    {
      name: 'composite',
      type: `${x}.outer_t`,
      values: [
        `ROW('a', ROW('\\xff', 3.5, '1 hour', '2024-01-01 00:00+00'), '{1,NULL}', '{"\\\\x01",NULL}', '[1,3)')`,
        'ROW(NULL, NULL, NULL, NULL, NULL)',
        'NULL',
      ],
      expected: [
        {
          label: 'a',
          inner_v: { b: 'ff', m: 3.5, i: 'PT1H', ts: '2024-01-01T00:00:00+00:00' },
          tags: [1, null],
          blobs: ['01', null],
          span: range(1, 3, true, false),
        },
        { label: null, inner_v: null, tags: null, blobs: null, span: null },
        null,
      ],
    },
    {
      name: 'composite_array',
      type: `${x}.outer_t[]`,
      values: [`ARRAY[ROW('x', NULL, '{}', NULL, 'empty')::${x}.outer_t, NULL]`],
      expected: [[{ label: 'x', inner_v: null, tags: [], blobs: null, span: EMPTY_RANGE }, null]],
    },
    {
      name: 'hstore',
      type: `${x}.hstore`,
      values: [`'a=>1, b=>NULL, "c d"=>"x,y"'`, `''`, 'NULL'],
      expected: [{ a: '1', b: null, 'c d': 'x,y' }, {}, null],
    },
    { name: 'hstore_array', type: `${x}.hstore[]`, values: [`ARRAY['k=>v'::${x}.hstore]`], expected: [[{ k: 'v' }]] },
    {
      name: 'ltree',
      type: `${x}.ltree`,
      values: [`'Top.Science.Astronomy'`, `''`],
      expected: ['Top.Science.Astronomy', ''],
    },
    { name: 'citext', type: `${x}.citext`, values: [`'MiXeD'`] },
    { name: 'tsvector_array', type: 'tsvector[]', values: [`ARRAY['a:1 b:2'::tsvector, NULL]`] },
    { name: 'pg_lsn_array', type: 'pg_lsn[]', values: [`'{16/B374D848,0/0}'`] },
    { name: 'box_array', type: 'box[]', values: [`ARRAY['(1,1),(0,0)'::box, '(2,2),(1,1)'::box]`] },
    { name: 'varbit_array', type: 'varbit[]', values: [`'{"",1,0101}'`], expected: [['', '1', '0101']] },
    { name: 'uuid_array', type: 'uuid[]', values: [`'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}'`] },
    { name: 'jsonb_array', type: 'jsonb[]', values: [`ARRAY['{"a": [1, null]}'::jsonb, 'null'::jsonb, NULL]`] },
    {
      name: 'multirange_array',
      type: 'int4multirange[]',
      values: [`ARRAY['{[1,2)}'::int4multirange, '{}'::int4multirange]`],
      expected: [[[range(1, 2, true, false)], []]],
    },
    { name: 'domain_array', type: `${x}.positive[]`, values: [`'{1,2}'`] },
    {
      name: 'array_domain',
      type: `${x}.blobs`,
      values: [`'{"\\\\x00ff"}'`],
      expected: [['00ff']],
    },
  ];
  // A table named like a type (hstore) would take that name for its row type.
  return tables.map((table) => ({ ...table, name: `t_${table.name}` }));
}

describe('every built-in type, arrays of each, and extension types', () => {
  const x = 'type_corpus_src';
  let tables: CorpusTable[] = [];

  it('loads one table per type, each row as the source holds it', async () => {
    const pg = corpus.pg;
    for (const extension of ['hstore', 'ltree', 'citext']) await pg.query(`CREATE EXTENSION ${extension} SCHEMA ${x}`);
    await pg.query(`CREATE TYPE ${x}.mood AS ENUM ('sad', 'ok', 'happy')`);
    await pg.query(`CREATE DOMAIN ${x}.positive AS integer CHECK (VALUE > 0)`);
    await pg.query(`CREATE DOMAIN ${x}.blobs AS bytea[]`);
    await pg.query(`CREATE TYPE ${x}.inner_t AS (b bytea, m money, i interval, ts timestamptz)`);
    await pg.query(`CREATE TYPE ${x}.outer_t AS (label text, inner_v ${x}.inner_t, tags int[], blobs bytea[],
      span int4range)`);
    tables = corpusTables(x);
    for (const table of tables) {
      await pg.query(`CREATE TABLE ${x}.${table.name} (id int PRIMARY KEY, v ${table.type})`);
      const rows = table.values.map((value, i) => `(${i + 1}, ${value})`).join(', ');
      await pg.query(`INSERT INTO ${x}.${table.name} VALUES ${rows}`);
    }
    const outcome = await corpus.runOk();
    const failed = outcome.result.tables.filter((t) => t.status !== 'succeeded');
    expect(failed).toEqual([]);
    expect(outcome.result.tables).toHaveLength(tables.length);
    for (const table of tables) {
      await expect(corpus.expectSameContent(table.name), table.name).resolves.toBe(table.values.length);
    }
  });

  it('shapes structured values as documented: ranges, multiranges, composites, hstore, arrays', async () => {
    for (const table of tables) {
      if (!table.expected) continue;
      // Scalars read back as text; structured values as JSON.
      const scalar = table.expected.every((value) => value === null || typeof value === 'string');
      const read = scalar ? 'TO_VARCHAR("v")' : 'TO_JSON("v")';
      const rows = await corpus.snowflake.query<{ v: string | null }>(
        `SELECT ${read} AS "v" FROM "${corpus.targetSchema}"."${table.name}" ORDER BY "id"`,
      );
      const parse = (value: string | null) => (value === null || scalar ? value : (JSON.parse(value) as unknown));
      expect(
        rows.map((r) => parse(r.v)),
        table.name,
      ).toEqual(table.expected);
    }
  });
  it('loads the same corpus into DuckDB, each row as the source holds it', async () => {
    const path = await loadCorpusIntoDuckDb();
    const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    try {
      const connection = await instance.connect();
      for (const table of tables) {
        const source = await sourceCorpusRows(table.name);
        const reader = await connection.runAndReadAll(
          `SELECT id::VARCHAR AS id, v::VARCHAR AS v FROM landing.${table.name}`,
        );
        const structured = source.kind === 'json' || source.kind === 'array';
        const rows = (reader.getRowObjectsJson() as { id: string; v: string | null }[]).map((r) =>
          JSON.stringify([r.id, r.v !== null && structured ? finishPgValue(r.v, source.kind) : r.v]),
        );
        expect(rows.sort(), table.name).toEqual(source.rows);
      }
      connection.closeSync();
    } finally {
      instance.closeSync();
    }
  });
});

/** The corpus's rows in the source, canonical: `[id, v]` as JSON text, sorted. */
async function sourceCorpusRows(table: string): Promise<{ kind: ColumnKind['kind']; rows: string[] }> {
  const described = await describeTable(corpus.pg, { schema: 'type_corpus_src', name: table });
  const value = known(described.columns[1], 'corpus tables have an id and a value');
  const kind = known(value.kind, `${table}.v maps`).kind;
  const { rows } = await corpus.pg.query<{ id: number; v: string | null }>(
    `SELECT id, ${canonicalPgExpression('v', kind, value)} AS v FROM type_corpus_src.${table}`,
  );
  return { kind, rows: rows.map((r) => JSON.stringify([String(r.id), finishPgValue(r.v, kind)])).sort() };
}

/** Runs the corpus into a DuckDB file with a worker of its own; returns the file. */
async function loadCorpusIntoDuckDb(): Promise<string> {
  const path = join(scratchDir('corpus-duckdb'), 'corpus.duckdb');
  const document = corpus.pipelineDocument(`corpusduck${Date.now()}`, { settings: { maxParallelTables: 4 } });
  document.destination = { type: 'duckdb', path, schema: 'landing' };
  const config = parsePipeline(document, 'corpus-duckdb.yaml', { env: corpus.env });
  const connection = await NativeConnection.connect({ address: services.temporalAddress });
  const worker = await createConduitWorker({ pipelines: [config], connection, workflowBundle: await workflowBundle() });
  const running = worker.worker.run();
  try {
    const handle = await startPipelineRun(corpus.client, config.temporal, { pipeline: config.name });
    const outcome = await waitForRun(handle);
    if (!outcome.ok) throw new Error(`DuckDB run failed: ${outcome.message}`);
    expect(outcome.result.tables.filter((t) => t.status !== 'succeeded')).toEqual([]);
  } finally {
    worker.worker.shutdown();
    await running;
    await worker.close();
    await connection.close();
  }
  return path;
}

describe('column choice', () => {
  it('loads a table with an unmappable column once it is excluded or carried as text', async () => {
    const pg = choice.pg;
    await pg.query(`CREATE EXTENSION cube SCHEMA choice_src`);
    await pg.query(`CREATE TABLE choice_src.mixed (id int PRIMARY KEY, keep text, shape choice_src.cube,
      secret_a text, secret_b int, blob choice_src.cube, span int4range)`);
    await pg.query(`INSERT INTO choice_src.mixed VALUES
      (1, 'a', '(1, 2, 3)', 's', 1, '(0)', '[1,5)'), (2, NULL, NULL, NULL, NULL, NULL, NULL)`);
    // The pipeline names these too; the tests below run them.
    await pg.query(`CREATE TABLE choice_src.refused (id int PRIMARY KEY, shape choice_src.cube)`);
    await pg.query(`CREATE TABLE choice_src.keyed (id int PRIMARY KEY, note text)`);
    const outcome = await choice.runOk(['choice_src.mixed']);
    expect(outcome.result.tables[0]).toMatchObject({ status: 'succeeded', rows: 2 });
    const rows = await choice.snowflake.query<Record<string, string | null>>(
      `SELECT * FROM "${choice.targetSchema}"."mixed" ORDER BY "id"`,
    );
    expect(rows).toEqual([
      { id: '1', keep: 'a', shape: '(1, 2, 3)', span: '[1,5)' },
      { id: '2', keep: null, shape: null, span: null },
    ]);
  });

  it('refuses an unmappable column before any data moves, naming it, its type and both ways out', async () => {
    const outcome = await choice.run(['choice_src.refused']);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain('"shape" (choice_src.cube)');
    expect(outcome.message).toContain('columns: { exclude: [...] }');
    expect(outcome.message).toContain('columns: { asText: [...] }');
    expect((await choice.destinationObjects()).tables).not.toContain('refused');
  });

  it('refuses to exclude the cursor of an incremental table', async () => {
    const outcome = await choice.run(['choice_src.keyed']);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain('columns.exclude leaves out "id"');
  });
});
