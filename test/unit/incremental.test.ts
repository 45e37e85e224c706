import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/summary';
import { ConfigError, parsePipeline } from '../../src/config/load';
import { windowPredicate } from '../../src/connectors/postgres/cursor';
import { appendSql, mergeSql, settleFullLoadSql } from '../../src/connectors/snowflake/incremental-sql';
import { describeChange, diffSchema } from '../../src/connectors/snowflake/schema-evolution';
import type { ColumnPlan } from '../../src/shared';

function pipeline(tables: unknown[]): unknown {
  return {
    name: 'inc',
    source: { type: 'postgres', host: 'h', database: 'd', user: 'u', password: '${P}' },
    destination: { type: 'snowflake', account: 'a', user: 'u', password: '${P}', database: 'RAW', schema: 'S' },
    tables,
  };
}

function problems(tables: unknown[]): string[] {
  try {
    parsePipeline(pipeline(tables), 'p.yaml', { env: { P: 'x' } });
  } catch (error) {
    return (error as ConfigError).problems;
  }
  throw new Error('expected the document to be rejected');
}

describe('incremental table entries', () => {
  it('reads cursor, look-back, key and soft delete', () => {
    const config = parsePipeline(
      pipeline([
        {
          name: 'public.orders',
          mode: 'incremental_merge',
          cursor: 'updated_at',
          lookback: '10 minutes',
          lateCommits: 'lookback',
          primaryKey: ['id'],
          softDelete: { column: 'deleted_at' },
        },
      ]),
      'p.yaml',
      { env: { P: 'x' } },
    );
    expect(config.tables[0]).toMatchObject({
      overrides: {
        mode: 'incremental_merge',
        incremental: {
          cursor: 'updated_at',
          lookback: '10 minutes',
          lateCommits: 'lookback',
          primaryKey: ['id'],
          softDelete: { column: 'deleted_at', action: 'delete' },
        },
      },
    });
  });

  it('names every problem: missing cursor, bad look-back, keys outside their modes', () => {
    expect(
      problems([
        { name: 'public.f', mode: 'incremental_append', cursor: 'id', lateCommits: 'guess' },
        { name: 'public.a', mode: 'incremental_append' },
        { name: 'public.b', mode: 'incremental_append', cursor: 'id', lookback: 'a while' },
        { name: 'public.c', cursor: 'id' },
        { name: 'public.d', mode: 'incremental_append', cursor: 'id', softDelete: { column: 'gone' } },
        { name: 'public.e', mode: 'incremental_merge', cursor: 'id', softDelete: { column: 'gone', action: 'hide' } },
      ]),
    ).toEqual([
      '`tables[0].lateCommits`: "guess" is not one of snapshot, lookback',
      '`tables[1].cursor`: required',
      expect.stringContaining('`tables[2].lookback`: "a while" is not allowed'),
      '`tables[3].cursor`: only for mode incremental_append or incremental_merge',
      '`tables[4].softDelete`: only for mode incremental_merge (append keeps every row it reads)',
      '`tables[5].softDelete.action`: "hide" is not one of delete, flag',
    ]);
  });
});

describe('cursor window', () => {
  const base = { column: 'updated_at', sourceType: 'timestamp without time zone' };
  it('reads [low - look-back, high] with typed bounds: rows tied with the committed cursor included', () => {
    expect(
      windowPredicate({ ...base, low: '2024-01-01 00:00:00', high: '2024-01-02 00:00:00', lookback: '10 minutes' }),
    ).toBe(
      `"updated_at" >= ('2024-01-01 00:00:00'::timestamp without time zone - interval '10 minutes') AND ` +
        `"updated_at" <= '2024-01-02 00:00:00'::timestamp without time zone`,
    );
    expect(windowPredicate({ column: 'id', sourceType: 'bigint', low: '100', high: '200', lookback: '5' })).toBe(
      `"id" >= ('100'::bigint - 5) AND "id" <= '200'::bigint`,
    );
  });

  it('also reads rows written from the recorded transaction on, whatever their cursor, up to high', () => {
    const next = '(SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint)';
    expect(
      windowPredicate({ column: 'id', sourceType: 'bigint', low: '100', high: '200', xidFrom: '4294967396' }),
    ).toBe(
      `("id" >= '100'::bigint OR (xmin::text::bigint > 2 AND ((${next} - xmin::text::bigint) & 4294967295) ` +
        `<= ${next} - 4294967396)) AND "id" <= '200'::bigint`,
    );
    expect(() => windowPredicate({ ...base, low: '1', high: '2', xidFrom: '1; DROP TABLE x' })).toThrow(
      'not a transaction ID',
    );
  });

  it('a full load reads from the start, NULL cursors included', () => {
    expect(windowPredicate({ ...base, high: '2024-01-02 00:00:00' })).toBe(
      `("updated_at" <= '2024-01-02 00:00:00'::timestamp without time zone OR "updated_at" IS NULL)`,
    );
    expect(windowPredicate({ ...base })).toBe(`(false OR "updated_at" IS NULL)`);
  });
});

const column = (name: string, type: ColumnPlan['type'], nullable = true): ColumnPlan => ({
  source: name,
  target: name,
  sourceType: 'x',
  sourceTypname: 'x',
  type,
  nullable,
});
const T = { database: 'DB', schema: 'S', name: 't' };
const STG = { database: 'DB', schema: 'S', name: 'stg' };

describe('applying a batch', () => {
  const columns = [
    column('id', { kind: 'integer', bytes: 4 }),
    column('v', { kind: 'text' }),
    column('at', { kind: 'timestamp' }),
    column('gone', { kind: 'boolean' }),
  ];

  it("appends only rows whose identity the target lacks, reading target rows from the batch's lowest cursor", () => {
    expect(appendSql(T, STG, columns.slice(0, 3), ['id', 'at'], 'at')).toBe(
      'INSERT INTO "DB"."S"."t" ("id", "v", "at") SELECT s."id", s."v", s."at" FROM "DB"."S"."stg" AS s ' +
        'WHERE NOT EXISTS (SELECT 1 FROM "DB"."S"."t" AS t WHERE (t."at" >= (SELECT MIN("at") FROM ' +
        '"DB"."S"."stg") OR t."at" IS NULL) ' +
        'AND t."id" IS NOT DISTINCT FROM s."id" AND t."at" IS NOT DISTINCT FROM s."at")',
    );
  });

  it('merges one row per key (latest cursor), deleting soft-deleted rows and nulling dropped columns', () => {
    expect(
      mergeSql(T, STG, {
        columns,
        key: ['id'],
        cursor: 'at',
        deleteWhen: { column: 'gone', boolean: true },
        dropped: ['old'],
      }),
    ).toBe(
      'MERGE INTO "DB"."S"."t" AS t USING (SELECT * FROM "DB"."S"."stg" QUALIFY ROW_NUMBER() OVER ' +
        '(PARTITION BY "id" ORDER BY "at" DESC) = 1) AS s ON t."id" = s."id" ' +
        'WHEN MATCHED AND COALESCE(s."gone", FALSE) THEN DELETE ' +
        'WHEN MATCHED THEN UPDATE SET t."id" = s."id", t."v" = s."v", t."at" = s."at", t."gone" = ' +
        's."gone", t."old" = NULL ' +
        'WHEN NOT MATCHED AND NOT (COALESCE(s."gone", FALSE)) THEN INSERT ("id", "v", "at", "gone") VALUES ' +
        '(s."id", s."v", s."at", s."gone")',
    );
  });

  it('settles a full load of a merge table: one row per key, no soft-deleted rows', () => {
    expect(settleFullLoadSql(STG, { key: ['id'], cursor: 'at', deleteWhen: { column: 'gone', boolean: false } })).toBe(
      'INSERT OVERWRITE INTO "DB"."S"."stg" SELECT * FROM (SELECT * FROM "DB"."S"."stg" QUALIFY ' +
        'ROW_NUMBER() OVER (PARTITION BY "id" ORDER BY "at" DESC) = 1) AS s WHERE NOT (s."gone" IS NOT NULL)',
    );
  });
});

describe('schema evolution', () => {
  it('adds, widens, keeps dropped columns and refuses what cannot change in place', () => {
    const source = [
      column('id', { kind: 'integer', bytes: 8 }),
      column('code', { kind: 'text', maxLength: 50 }),
      column('price', { kind: 'decimal', precision: 12, scale: 4 }),
      column('flag', { kind: 'integer', bytes: 4 }),
      column('extra', { kind: 'date' }),
    ];
    const target = [
      { name: 'id', type: 'NUMBER', precision: 10, scale: 0, nullable: false },
      { name: 'code', type: 'TEXT', length: 10, nullable: true },
      { name: 'price', type: 'NUMBER', precision: 10, scale: 2, nullable: true },
      { name: 'flag', type: 'TEXT', length: 5, nullable: true },
      { name: 'note', type: 'TEXT', nullable: false },
    ];
    const diff = diffSchema(source, target);
    expect(diff.changes.map(describeChange)).toEqual([
      'widened "id" from NUMBER(10,0) to NUMBER(19,0)',
      '"id" may be NULL now (nullable in the source now)',
      'widened "code" from VARCHAR(10) to VARCHAR(50)',
      'added column "extra" DATE',
      '"note" is no longer in the source: kept, NULL in rows written from now on',
      '"note" may be NULL now (dropped from the source)',
    ]);
    expect(diff.incompatible).toEqual([
      '"price" changed scale: NUMBER(10,2) to NUMBER(12,4) (Snowflake cannot change a NUMBER\'s scale)',
      '"flag" changed from VARCHAR(5) to x (NUMBER(10,0))',
    ]);
  });
});

describe('run summary', () => {
  it('lists the schema changes applied and the committed cursor of incremental tables', () => {
    const text = formatSummary({
      pipeline: 'p',
      seconds: 2,
      tables: [
        {
          source: 'public.a',
          target: 'S.a',
          status: 'succeeded',
          rows: 10,
          bytes: 100,
          partitions: 1,
          seconds: 1,
          schemaChanges: ['added column "x" DATE'],
          cursor: '2024-01-01 00:00:00',
        },
        {
          source: 'public.b',
          target: 'S.b',
          status: 'succeeded',
          rows: 0,
          bytes: 0,
          partitions: 1,
          seconds: 1,
          schemaChanges: [],
          cursor: null,
        },
      ],
    });
    expect(text).toContain(
      '  public.a: schema change: added column "x" DATE\n  public.a: cursor now 2024-01-01 00:00:00',
    );
    expect(text).toContain('  public.b: cursor now not set (no cursor values yet)');
  });
});
