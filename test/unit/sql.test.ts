import { describe, expect, it } from 'vitest';
import { extractStatement } from '../../src/connectors/postgres/extract';
import { rangePredicate } from '../../src/connectors/postgres/partitioning';
import { quoteIdent as pgQuote } from '../../src/connectors/postgres/sql';
import {
  copyIntoSql,
  createShadowTableSql,
  putFileSql,
  quoteIdent,
  quoteLiteral,
  shadowTableName,
  snowflakeType,
  stageName,
  swapSql,
} from '../../src/connectors/snowflake/dialect';
import { partitionRanges, type ColumnPlan } from '../../src/shared';
import { snowflakeCapabilities } from '../../src/connectors/snowflake/capabilities';

const SNOWFLAKE_LIMITS = snowflakeCapabilities.limits;

const columns: ColumnPlan[] = [
  {
    source: 'id',
    target: 'id',
    sourceType: 'bigint',
    sourceTypname: 'int8',
    type: { kind: 'integer', bytes: 8 },
    nullable: false,
  },
  { source: 'Doc', target: 'Doc', sourceType: 'jsonb', sourceTypname: 'jsonb', type: { kind: 'json' }, nullable: true },
  {
    source: 'raw "bytes"',
    target: 'raw "bytes"',
    sourceType: 'bytea',
    sourceTypname: 'bytea',
    type: { kind: 'binary' },
    nullable: true,
  },
  {
    source: 'tags',
    target: 'tags',
    sourceType: 'text[]',
    sourceTypname: '_text',
    type: { kind: 'array' },
    nullable: true,
  },
  {
    source: 'at',
    target: 'at',
    sourceType: 'timestamp with time zone',
    sourceTypname: 'timestamptz',
    type: { kind: 'timestamptz' },
    nullable: true,
  },
  {
    source: 'x',
    target: 'x',
    sourceType: 'double precision',
    sourceTypname: 'float8',
    type: { kind: 'float', bytes: 8 },
    nullable: true,
  },
];

describe('identifier quoting', () => {
  it('quotes every identifier and doubles embedded quotes, in both dialects', () => {
    expect(quoteIdent('OrderItems')).toBe('"OrderItems"');
    expect(quoteIdent('x"; DROP TABLE t; --')).toBe('"x""; DROP TABLE t; --"');
    expect(pgQuote('select')).toBe('"select"');
    expect(() => pgQuote('a\0b')).toThrow(/NUL/);
  });

  it('escapes literals for Snowflake', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('a\\b')).toBe("'a\\\\b'");
  });

  it('names run-scoped objects within Snowflake limits, stably per run', () => {
    expect(shadowTableName('orders', 'abc123')).toBe('orders__conduit_abc123');
    const long = 'x'.repeat(300);
    const shadow = shadowTableName(long, 'abc123');
    expect(shadow.length).toBeLessThanOrEqual(255);
    expect(shadow.endsWith('__conduit_abc123')).toBe(true);
    expect(shadowTableName(long, 'abc123')).toBe(shadow);
    expect(stageName('orders', 'abc123')).toMatch(/^_conduit_stage_abc123_[0-9a-f]{10}$/);
    expect(stageName('orders', 'abc123')).not.toBe(stageName('Orders', 'abc123'));
  });
});

describe('Snowflake SQL', () => {
  const shadow = { database: 'RAW', schema: 'Shop', name: 'orders__conduit_r1' };
  const stage = { database: 'RAW', schema: 'Shop', name: '_conduit_stage_r1_x' };

  it('creates typed shadow tables marked with the run', () => {
    expect(createShadowTableSql(shadow, columns, 'conduit run r1')).toBe(
      'CREATE OR REPLACE TABLE "RAW"."Shop"."orders__conduit_r1" ("id" NUMBER(19,0) NOT NULL, "Doc" VARIANT, ' +
        '"raw ""bytes""" BINARY(67108864), "tags" ARRAY, "at" TIMESTAMP_TZ(6), "x" FLOAT) COMMENT = \'conduit run r1\'',
    );
  });

  it('loads with a transforming COPY that keeps NULL and empty string apart', () => {
    const sql = copyIntoSql(shadow, columns, stage, ['part-000000.csv.gz', 'part-000001.csv.gz']);
    expect(sql).toBe(
      'COPY INTO "RAW"."Shop"."orders__conduit_r1" ("id", "Doc", "raw ""bytes""", "tags", "at", "x") ' +
        `FROM (SELECT $1, PARSE_JSON($2), $3, PARSE_JSON($4)::ARRAY, $5, $6 ` +
        `FROM '@"RAW"."Shop"."_conduit_stage_r1_x"') ` +
        "FILES = ('part-000000.csv.gz', 'part-000001.csv.gz') " +
        "FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '\"' ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = () " +
        'EMPTY_FIELD_AS_NULL = TRUE BINARY_FORMAT = HEX COMPRESSION = AUTO) ' +
        'ON_ERROR = ABORT_STATEMENT',
    );
    expect(() => copyIntoSql(shadow, columns, stage, [])).toThrow(/1 to 1000 files/);
    expect(() =>
      copyIntoSql(
        shadow,
        columns,
        stage,
        Array.from({ length: 1001 }, (_, i) => `f${i}`),
      ),
    ).toThrow(/1 to 1000 files/);
  });

  it('uploads pre-compressed files, overwriting a redone partition', () => {
    expect(putFileSql('/tmp/w/part-000003.csv.gz', 'gzip', stage)).toBe(
      'PUT \'file:///tmp/w/part-000003.csv.gz\' \'@"RAW"."Shop"."_conduit_stage_r1_x"\' ' +
        'AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP OVERWRITE = TRUE',
    );
    expect(putFileSql('/tmp/w/part-000003.csv.zst', 'zstd', stage)).toBe(
      'PUT \'file:///tmp/w/part-000003.csv.zst\' \'@"RAW"."Shop"."_conduit_stage_r1_x"\' ' +
        'AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = ZSTD OVERWRITE = TRUE',
    );
    expect(() => putFileSql("/tmp/it's/f.gz", 'gzip', stage)).toThrow(/quotes/);
  });

  it('swaps atomically', () => {
    expect(swapSql({ database: 'RAW', schema: 'Shop', name: 'Orders' }, shadow)).toBe(
      'ALTER TABLE "RAW"."Shop"."Orders" SWAP WITH "RAW"."Shop"."orders__conduit_r1"',
    );
  });

  it('maps every column kind to a typed Snowflake column', () => {
    expect(snowflakeType({ kind: 'integer', bytes: 2 })).toBe('NUMBER(5,0)');
    expect(snowflakeType({ kind: 'integer', bytes: 4 })).toBe('NUMBER(10,0)');
    expect(snowflakeType({ kind: 'decimal', precision: 12, scale: 2 })).toBe('NUMBER(12,2)');
    expect(snowflakeType({ kind: 'text', maxLength: 20 })).toBe('VARCHAR(20)');
    expect(snowflakeType({ kind: 'text' })).toBe('VARCHAR(134217728)');
    expect(snowflakeType({ kind: 'binary' })).toBe('BINARY(67108864)');
    expect(snowflakeType({ kind: 'decimal', precision: 38, scale: 37 })).toBe('NUMBER(38,37)');
    for (const [precision, scale] of [
      [38, 38],
      [43, 0],
      [0, 0],
      [5, 6],
      [10, -2],
    ] as const) {
      expect(() => snowflakeType({ kind: 'decimal', precision, scale })).toThrow(/is not a Snowflake type/);
    }
    expect(snowflakeType({ kind: 'timestamp' })).toBe('TIMESTAMP_NTZ(6)');
    expect(snowflakeType({ kind: 'time' })).toBe('TIME(6)');
    expect(snowflakeType({ kind: 'boolean' })).toBe('BOOLEAN');
    expect(snowflakeType({ kind: 'uuid' })).toBe('VARCHAR(36)');
  });
});

describe('PostgreSQL extract SQL', () => {
  it('shapes values in the SELECT and writes CSV', () => {
    const range = { strategy: 'key' as const, column: 'id', from: '100', to: '200' };
    const plain = columns.filter((c) => c.type.kind !== 'timestamptz' && c.type.kind !== 'binary');
    expect(extractStatement({ schema: 'Sales', name: 'Order "Items"' }, plain, range, SNOWFLAKE_LIMITS)).toEqual({
      sql:
        'COPY (SELECT "id", "Doc", to_json("tags"), ' +
        "CASE WHEN \"x\" = 'Infinity' THEN 'inf' WHEN \"x\" = '-Infinity' THEN '-inf' ELSE \"x\"::text END " +
        'FROM "Sales"."Order ""Items""" WHERE "id" >= 100 AND "id" < 200) TO STDOUT (FORMAT csv, ENCODING \'UTF8\')',
      guarded: [],
    });
  });

  it('writes values the destination cannot hold as NULL and counts them per column', () => {
    const statement = extractStatement(
      { schema: 's', name: 't' },
      columns,
      { strategy: 'key', column: 'id' },
      SNOWFLAKE_LIMITS,
    );
    // bytea may exceed 64 MB, timestamptz may be infinite or outside years 1–9999.
    expect(statement.guarded).toEqual([2, 4]);
    expect(statement.sql).toContain(
      "CASE WHEN NOT (\"at\" BETWEEN '0001-01-01 00:00:00+00' AND '9999-12-31 23:59:59.999999+00') " +
        "THEN (CASE WHEN set_config('conduit.edges_4', (coalesce(nullif(current_setting('conduit.edges_4', " +
        "true), ''), '0')::bigint + 1)::text, true) IS NULL THEN NULL END) " +
        'ELSE (to_json("at") #>> \'{}\')::text END',
    );
    expect(statement.sql).toContain(`CASE WHEN octet_length("raw ""bytes""") > 67108864 THEN`);
  });

  it('builds half-open range predicates and refuses bounds that are not numbers', () => {
    expect(rangePredicate({ strategy: 'key', column: 'id' })).toBe('true');
    expect(rangePredicate({ strategy: 'key', column: 'id', to: '-5' })).toBe('"id" < -5');
    expect(rangePredicate({ strategy: 'ctid', from: 10, to: 20 })).toBe(
      "ctid >= '(10,0)'::tid AND ctid < '(20,0)'::tid",
    );
    expect(() => rangePredicate({ strategy: 'key', column: 'id', from: '1; DROP TABLE x' })).toThrow(/not an integer/);
    expect(() => rangePredicate({ strategy: 'ctid', from: -1 })).toThrow(/page number/);
  });
});

describe('partition ranges', () => {
  it('covers the whole key space with half-open ranges', () => {
    expect(partitionRanges({ strategy: 'key', column: 'id', bounds: ['10', '20'] })).toEqual([
      { strategy: 'key', column: 'id', from: undefined, to: '10' },
      { strategy: 'key', column: 'id', from: '10', to: '20' },
      { strategy: 'key', column: 'id', from: '20', to: undefined },
    ]);
    expect(partitionRanges({ strategy: 'ctid', bounds: [] })).toEqual([
      { strategy: 'ctid', from: undefined, to: undefined },
    ]);
  });
});
