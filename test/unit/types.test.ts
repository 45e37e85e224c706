import { describe, expect, it } from 'vitest';
import { classifyPgType, type PgColumnType } from '../../src/connectors/postgres/types';

function base(typname: string, typmod = -1): PgColumnType {
  return { typname, typtype: 'b', typcategory: 'X', typmod };
}

describe('PostgreSQL type classification', () => {
  it('keeps numeric precision and scale from the type modifier', () => {
    // numeric(12,2): typmod = ((12 << 16) | 2) + 4
    expect(classifyPgType(base('numeric', ((12 << 16) | 2) + 4))).toEqual({ kind: 'decimal', precision: 12, scale: 2 });
    expect(classifyPgType(base('numeric'))).toEqual({ kind: 'decimal', precision: 0, scale: 0 });
    // numeric(5,-2) (PostgreSQL 15): the scale is stored as a signed 16-bit number
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
