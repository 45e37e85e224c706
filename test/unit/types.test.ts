import { describe, expect, it } from 'vitest';
import { bestScale, declaredNumber } from '../../src/activities/numbers';
import { edgeRule } from '../../src/connectors/postgres/edges';
import { classifyPgType, extractExpression, type PgColumnType } from '../../src/connectors/postgres/types';
import { snowflakeType } from '../../src/connectors/snowflake/dialect';
import type { ColumnPlan } from '../../src/shared';
import { snowflakeCapabilities } from '../../src/connectors/snowflake/capabilities';

const SNOWFLAKE_LIMITS = snowflakeCapabilities.limits;

function base(typname: string, typmod = -1): PgColumnType {
  return { typname, typtype: 'b', typcategory: 'X', typmod };
}

function arrayOf(element: PgColumnType): PgColumnType {
  return { typname: `_${element.typname}`, typtype: 'b', typcategory: 'A', typmod: -1, element };
}

function rangeOf(subtype: PgColumnType): PgColumnType {
  return { typname: `${subtype.typname}range`, typtype: 'r', typcategory: 'R', typmod: -1, subtype };
}

function multirangeOf(range: PgColumnType): PgColumnType {
  return { typname: `${range.typname}_multi`, typtype: 'm', typcategory: 'R', typmod: -1, element: range };
}

function composite(fields: [string, PgColumnType][]): PgColumnType {
  return {
    typname: 'composite',
    typtype: 'c',
    typcategory: 'C',
    typmod: -1,
    fields: fields.map(([name, type]) => ({ name, type })),
  };
}

describe('PostgreSQL type classification', () => {
  it('keeps numeric precision and scale from the type modifier', () => {
    // numeric(12,2): typmod = ((12 << 16) | 2) + 4
    expect(classifyPgType(base('numeric', ((12 << 16) | 2) + 4))).toEqual({ kind: 'decimal', precision: 12, scale: 2 });
    expect(classifyPgType(base('numeric'))).toEqual({ kind: 'decimal', precision: 0, scale: 0 });
    // numeric(38,-5) and numeric(2,5) (PostgreSQL 15): the scale is an 11-bit signed number
    expect(classifyPgType(base('numeric', ((38 << 16) | (-5 & 0x7ff)) + 4))).toEqual({
      kind: 'decimal',
      precision: 38,
      scale: -5,
    });
    expect(classifyPgType(base('numeric', ((2 << 16) | 5) + 4))).toEqual({ kind: 'decimal', precision: 2, scale: 5 });
    expect(classifyPgType(base('numeric', ((5 << 16) | (0x10000 - 2)) + 4))).toEqual({
      kind: 'decimal',
      precision: 5,
      scale: -2,
    });
  });

  it('maps character types with their lengths', () => {
    expect(classifyPgType(base('varchar', 24))).toEqual({ kind: 'text', maxLength: 20 });
    expect(classifyPgType(base('varchar'))).toEqual({ kind: 'text' });
    expect(classifyPgType(base('bpchar', 7))).toEqual({ kind: 'text', maxLength: 3, fixedLength: true });
    expect(classifyPgType(base('text'))).toEqual({ kind: 'text' });
  });

  it('maps integers, floats, booleans, time types, uuid, json, bytea, enums and arrays', () => {
    expect(classifyPgType(base('int2'))).toEqual({ kind: 'integer', bytes: 2 });
    expect(classifyPgType(base('int8'))).toEqual({ kind: 'integer', bytes: 8 });
    expect(classifyPgType(base('float4'))).toEqual({ kind: 'float', bytes: 4 });
    expect(classifyPgType(base('bool'))).toEqual({ kind: 'boolean' });
    expect(classifyPgType(base('timestamptz'))).toEqual({ kind: 'timestamptz' });
    expect(classifyPgType(base('uuid'))).toEqual({ kind: 'uuid' });
    expect(classifyPgType(base('jsonb'))).toEqual({ kind: 'json' });
    expect(classifyPgType(base('bytea'))).toEqual({ kind: 'binary' });
    expect(classifyPgType({ typname: 'mood', typtype: 'e', typcategory: 'E', typmod: -1 })).toEqual({ kind: 'text' });
    expect(classifyPgType(arrayOf(base('int4')))).toEqual({ kind: 'array' });
  });

  it('carries bit strings, geometric, text search, WAL and snapshot types as their text', () => {
    expect(classifyPgType(base('bit', 4))).toEqual({ kind: 'text', maxLength: 4 });
    expect(classifyPgType(base('varbit'))).toEqual({ kind: 'text' });
    for (const name of ['point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle', 'tsvector', 'tsquery']) {
      expect(classifyPgType(base(name))).toEqual({ kind: 'text' });
    }
    for (const name of ['pg_lsn', 'txid_snapshot', 'pg_snapshot', 'xml', 'ltree', 'regclass']) {
      expect(classifyPgType(base(name))).toEqual({ kind: 'text' });
    }
  });

  it('carries oid, xid and cid as 8-byte integers (unsigned 32-bit) and xid8 as 20 digits', () => {
    expect(classifyPgType(base('oid'))).toEqual({ kind: 'integer', bytes: 8 });
    expect(classifyPgType(base('xid'))).toEqual({ kind: 'integer', bytes: 8 });
    expect(classifyPgType(base('cid'))).toEqual({ kind: 'integer', bytes: 8 });
    expect(classifyPgType(base('xid8'))).toEqual({ kind: 'decimal', precision: 20, scale: 0 });
  });

  it('carries ranges, composites and hstore as JSON, multiranges and arrays of any mapped element as arrays', () => {
    expect(classifyPgType(rangeOf(base('int4')))).toEqual({ kind: 'json' });
    expect(
      classifyPgType(
        composite([
          ['a', base('bytea')],
          ['b', arrayOf(base('money'))],
        ]),
      ),
    ).toEqual({
      kind: 'json',
    });
    expect(classifyPgType(base('hstore'))).toEqual({ kind: 'json' });
    expect(classifyPgType(multirangeOf(rangeOf(base('date'))))).toEqual({ kind: 'array' });
    for (const element of ['bytea', 'money', 'interval', 'inet', 'time', 'timetz', 'bit', 'xml', 'point', 'oid']) {
      expect(classifyPgType(arrayOf(base(element)))).toEqual({ kind: 'array' });
    }
    expect(classifyPgType(arrayOf(rangeOf(base('numeric'))))).toEqual({ kind: 'array' });
  });

  it('refuses types it cannot carry exactly, and anything made of one', () => {
    expect(classifyPgType(base('cube'))).toBeUndefined();
    expect(classifyPgType(arrayOf(base('cube')))).toBeUndefined();
    expect(classifyPgType(rangeOf(base('cube')))).toBeUndefined();
    expect(
      classifyPgType(
        composite([
          ['ok', base('int4')],
          ['bad', arrayOf(base('cube'))],
        ]),
      ),
    ).toBeUndefined();
    // an array whose element type was not described
    expect(classifyPgType({ typname: '_int4', typtype: 'b', typcategory: 'A', typmod: -1 })).toBeUndefined();
  });
});

describe('structured extract expressions', () => {
  it('writes arrays to_json() already writes exactly as they are, and casts money and oid elements', () => {
    expect(extractExpression('a', { kind: 'array' }, '_int4', arrayOf(base('int4')))).toBe('to_json("a")');
    expect(extractExpression('a', { kind: 'array' }, '_money', arrayOf(base('money')))).toBe(
      'to_json(("a")::numeric[])',
    );
    expect(extractExpression('a', { kind: 'array' }, '_xid', arrayOf(base('xid')))).toBe(
      'to_json(("a")::text[]::int8[])',
    );
  });

  it('shapes other arrays element by element, keeping NULL and empty arrays apart', () => {
    const sql = extractExpression('a', { kind: 'array' }, '_bytea', arrayOf(base('bytea')));
    expect(sql).toMatch(/^CASE WHEN "a" IS NULL THEN NULL ELSE coalesce\(/);
    expect(sql).toContain(`to_json(encode(e0, 'hex'))`);
    expect(sql).toContain(`'[]'::json`);
  });

  it('builds a range from its bounds and tells a NULL composite from one of NULL fields', () => {
    expect(extractExpression('r', { kind: 'json' }, 'int4range', rangeOf(base('int4')))).toBe(
      `CASE WHEN "r" IS NULL THEN NULL ELSE json_build_object('lower', to_json(lower("r")), 'upper', ` +
        `to_json(upper("r")), 'lower_inclusive', lower_inc("r"), 'upper_inclusive', upper_inc("r"), 'empty', ` +
        `isempty("r")) END`,
    );
    expect(extractExpression('c', { kind: 'json' }, 'pair', composite([["it's", base('bytea')]]))).toBe(
      `CASE WHEN num_nulls("c") = 1 THEN NULL ELSE json_build_object('it''s', to_json(encode(("c")."it's", ` +
        `'hex'))) END`,
    );
    expect(extractExpression('c', { kind: 'json' }, 'pair', composite([['a', base('int4')]]))).toBe('to_json("c")');
  });

  it('splits composites wider than json_build_object takes into merged objects', () => {
    const fields = Array.from({ length: 51 }, (_, i): [string, PgColumnType] => [`f${i}`, base('bytea')]);
    const sql = extractExpression('c', { kind: 'json' }, 'wide', composite(fields));
    expect(sql.match(/json_build_object\(/g)).toHaveLength(2);
    expect(sql).toContain('::jsonb || json_build_object(');
  });

  it('carries hstore through its cast to json', () => {
    expect(extractExpression('h', { kind: 'json' }, 'hstore')).toBe('"h"::json');
  });
});

describe('text size guard', () => {
  const textPlan = (sourceTypname: string, chosenAsText?: boolean): ColumnPlan => ({
    source: 'c',
    target: 'c',
    sourceType: sourceTypname,
    sourceTypname,
    type: { kind: 'text' },
    nullable: true,
    ...(chosenAsText ? { chosenAsText } : {}),
  });

  it('measures the text form of types without an octet_length of their own (xml, tsvector)', () => {
    expect(edgeRule(textPlan('xml'), SNOWFLAKE_LIMITS)?.condition).toBe(`octet_length("c"::text) > 134217728`);
    expect(edgeRule(textPlan('tsvector'), SNOWFLAKE_LIMITS)?.condition).toBe(`octet_length("c"::text) > 134217728`);
    expect(edgeRule(textPlan('text'), SNOWFLAKE_LIMITS)?.condition).toBe(`octet_length("c") > 134217728`);
  });

  it('guards any column carried as text by choice, and no short text form', () => {
    expect(edgeRule(textPlan('_int4', true), SNOWFLAKE_LIMITS)?.condition).toBe(`octet_length("c"::text) > 134217728`);
    expect(edgeRule(textPlan('point'), SNOWFLAKE_LIMITS)).toBeUndefined();
    expect(edgeRule(textPlan('inet'), SNOWFLAKE_LIMITS)).toBeUndefined();
  });
});

describe('numeric → NUMBER within Snowflake limits', () => {
  const plan: ColumnPlan = {
    source: 'n',
    target: 'n',
    sourceType: 'numeric',
    sourceTypname: 'numeric',
    type: { kind: 'decimal', precision: 0, scale: 0 },
    nullable: true,
  };
  const declared = (precision: number, scale: number) => {
    const mapped = declaredNumber(plan, precision, scale, SNOWFLAKE_LIMITS.decimal);
    return { type: snowflakeType(mapped.type), checked: mapped.sizedFromData === true };
  };

  it('keeps the digits of a declared numeric(p,s) that NUMBER can declare', () => {
    expect(declared(12, 2)).toEqual({ type: 'NUMBER(12,2)', checked: false });
    expect(declared(38, 37)).toEqual({ type: 'NUMBER(38,37)', checked: false });
    expect(declared(5, -2)).toEqual({ type: 'NUMBER(7,0)', checked: false }); // rounds to hundreds
    expect(declared(2, 5)).toEqual({ type: 'NUMBER(5,5)', checked: false }); // all fraction (PostgreSQL 15)
  });

  it('narrows numeric(38,38), negative scales past 38 digits and scales past 37 to NUMBER(38,s), checked', () => {
    expect(declared(38, 38)).toEqual({ type: 'NUMBER(38,37)', checked: true });
    expect(declared(38, -5)).toEqual({ type: 'NUMBER(38,0)', checked: true });
    expect(declared(10, 40)).toEqual({ type: 'NUMBER(38,37)', checked: true });
    const rule = edgeRule(declaredNumber(plan, 38, 38, SNOWFLAKE_LIMITS.decimal), SNOWFLAKE_LIMITS);
    expect(rule?.condition).toBe(`"n" = 'NaN' OR abs("n") >= 1e1 OR "n" <> round("n", 37)`);
    expect(edgeRule(declaredNumber(plan, 38, -5, SNOWFLAKE_LIMITS.decimal), SNOWFLAKE_LIMITS)?.condition).toBe(
      `"n" = 'NaN' OR abs("n") >= 1e38 OR "n" <> round("n", 0)`,
    );
  });

  it('chooses the scale that holds the most values exactly, the smallest on a tie', () => {
    const byScale = Array.from({ length: 38 }, (_, s) => (s === 0 ? 0 : s <= 3 ? 3 : 2));
    expect(bestScale({ values: 5, byScale })).toEqual({ scale: 1, kept: 3 });
    expect(bestScale({ values: 1, byScale: new Array<number>(38).fill(0) })).toEqual({ scale: 0, kept: 0 });
  });
});

describe('json extract', () => {
  it('sends json through jsonb (last value of a duplicated key) unless an escape jsonb refuses is present', () => {
    const guard = `~* (repeat(chr(92), 2) || 'u(0000|d[89a-f])')`;
    expect(extractExpression('doc', { kind: 'json' }, 'json')).toBe(
      `CASE WHEN "doc"::text ${guard} THEN "doc"::text ELSE "doc"::jsonb::text END`,
    );
    expect(extractExpression('doc', { kind: 'json' }, 'jsonb')).toBe('"doc"');
    expect(extractExpression('docs', { kind: 'array' }, '_json')).toBe(
      `CASE WHEN "docs"::text ${guard} THEN to_json("docs")::text ELSE to_jsonb("docs")::text END`,
    );
    expect(extractExpression('tags', { kind: 'array' }, '_text')).toBe('to_json("tags")');
    expect(extractExpression('tags', { kind: 'array' }, '_text', arrayOf(base('text')))).toBe('to_json("tags")');
  });
});
