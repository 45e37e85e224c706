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
    expect(
      classifyPgType({ typname: '_int4', typtype: 'b', typcategory: 'A', typmod: -1, elementTypname: 'int4' }),
    ).toEqual({ kind: 'array' });
  });

  it('refuses types it cannot carry exactly', () => {
    expect(classifyPgType(base('point'))).toBeUndefined();
    expect(classifyPgType(base('tsvector'))).toBeUndefined();
    expect(
      classifyPgType({ typname: '_point', typtype: 'b', typcategory: 'A', typmod: -1, elementTypname: 'point' }),
    ).toBeUndefined();
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
  });
});
