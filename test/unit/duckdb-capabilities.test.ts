import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TargetColumn } from '../../src/connectors/destination';
import { diffSchema, duckDbCapabilities, duckDbType, runObjectNames } from '../../src/connectors/duckdb/capabilities';
import { stagingFolder, stagingRoot } from '../../src/connectors/duckdb/staging';
import type { ColumnKind, ColumnPlan } from '../../src/shared';

const root = resolve(__dirname, '../..');

/** Modules a file loads at run time (type-only imports and dynamic import() excluded), followed through src. */
function runtimeImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  for (const match of source.matchAll(/^import (?!type )[^;]*?from '([^']+)';/gms)) {
    const specifier = match[1] ?? '';
    if (specifier.startsWith('.')) runtimeImports(join(dirname(file), `${specifier.replace(/\.js$/, '')}.ts`), seen);
    else seen.add(specifier);
  }
  return seen;
}

function plan(name: string, type: ColumnKind, nullable = true): ColumnPlan {
  return { source: name, target: name, sourceType: type.kind, sourceTypname: type.kind, type, nullable };
}

function target(name: string, type: string, extra: Partial<TargetColumn> = {}): TargetColumn {
  return { name, type, nullable: true, ...extra };
}

describe('DuckDB capabilities', () => {
  it('load without either SDK, so docs and planning never pull one in', () => {
    const loaded = runtimeImports(join(root, 'src/connectors/destinations.ts'));
    expect([...loaded].filter((m) => m === '@duckdb/node-api' || m === 'snowflake-sdk')).toEqual([]);
    expect(loaded.has(join(root, 'src/connectors/duckdb/capabilities.ts'))).toBe(true);
  });

  it('maps every kind to a DuckDB type, arrays to JSON, and refuses decimals DuckDB lacks', () => {
    expect(duckDbType({ kind: 'decimal', precision: 38, scale: 38 })).toBe('DECIMAL(38,38)');
    expect(duckDbType({ kind: 'array' })).toBe('JSON');
    expect(duckDbType({ kind: 'text', maxLength: 10 })).toBe('VARCHAR');
    expect(() => duckDbType({ kind: 'decimal', precision: 39, scale: 0 })).toThrow(/DECIMAL\(39,0\)/);
    expect(() => duckDbType({ kind: 'decimal', precision: 5, scale: 6 })).toThrow();
    expect(() => duckDbType({ kind: 'decimal', precision: 10, scale: -2 })).toThrow();
    expect(duckDbCapabilities.limits).toMatchObject({ dateRange: 'postgres-infinity', time2400: true });
  });

  it('names run objects deterministically, per target and run', () => {
    const orders = { schema: 'S', name: 'Orders' };
    expect(runObjectNames(orders, 'run1')).toEqual(runObjectNames(orders, 'run1'));
    expect(runObjectNames(orders, 'run1').shadow).toEqual({ schema: 'S', name: 'Orders__conduit_run1' });
    expect(runObjectNames(orders, 'run1').stage).not.toEqual(runObjectNames(orders, 'run2').stage);
    expect(runObjectNames(orders, 'run1').stage).not.toEqual(runObjectNames({ schema: 'S', name: 'B' }, 'run1').stage);
  });

  it('keeps staging folders under the root for any name, distinct for distinct names', () => {
    const database = '/data/conduit.duckdb';
    const folders = ['../..', 'a/b', 'a_b', '.', 'ü', 'Ü', 'x'.repeat(300)].map((schema) =>
      stagingFolder(database, { schema, name: 'stage' }),
    );
    for (const folder of folders) expect(folder.startsWith(`${stagingRoot(database)}/`)).toBe(true);
    expect(new Set(folders).size).toBe(folders.length);
  });

  it('widens where DuckDB converts in place and matches names as DuckDB does', () => {
    const diff = diffSchema(
      [
        plan('ID', { kind: 'integer', bytes: 8 }, false),
        plan('amount', { kind: 'decimal', precision: 12, scale: 4 }),
        plan('ratio', { kind: 'float', bytes: 8 }),
        plan('note', { kind: 'text', maxLength: 5000 }),
      ],
      [
        target('id', 'INTEGER', { nullable: false }),
        target('amount', 'DECIMAL', { precision: 10, scale: 2, nullable: false }),
        target('ratio', 'FLOAT'),
        target('note', 'VARCHAR'),
      ],
    );
    expect(diff.incompatible).toEqual([]);
    expect(diff.changes.map((change) => duckDbCapabilities.describeChange(change))).toEqual([
      'widened "ID" from INTEGER to BIGINT',
      'widened "amount" from DECIMAL(10,2) to DECIMAL(12,4)',
      '"amount" may be NULL now (nullable in the source now)',
      'widened "ratio" from REAL to DOUBLE',
    ]);
  });

  it('widens a decimal to hold old and new digits, and needs nothing when the target holds the source', () => {
    const [change] = diffSchema(
      [plan('n', { kind: 'decimal', precision: 10, scale: 6 })],
      [target('n', 'DECIMAL', { precision: 20, scale: 2 })],
    ).changes;
    expect(change && duckDbCapabilities.describeChange(change)).toBe('widened "n" from DECIMAL(20,2) to DECIMAL(24,6)');
    expect(
      diffSchema(
        [plan('n', { kind: 'decimal', precision: 5, scale: 1 }), plan('i', { kind: 'integer', bytes: 2 })],
        [target('n', 'DECIMAL', { precision: 20, scale: 2 }), target('i', 'BIGINT')],
      ),
    ).toEqual({ changes: [], incompatible: [] });
  });

  it('refuses what DuckDB cannot convert without losing values', () => {
    const diff = diffSchema(
      [
        plan('n', { kind: 'decimal', precision: 38, scale: 30 }),
        plan('t', { kind: 'integer', bytes: 4 }),
        plan('j', { kind: 'json' }),
      ],
      [target('n', 'DECIMAL', { precision: 38, scale: 0 }), target('t', 'VARCHAR'), target('j', 'VARCHAR')],
    );
    expect(diff.incompatible).toEqual([
      '"n" changed from DECIMAL(38,0) to decimal (DECIMAL(38,30)): no DECIMAL holds both (38 digits before the ' +
        'point and 30 after)',
      '"t" changed from VARCHAR to integer (INTEGER)',
      '"j" changed from VARCHAR to json (JSON)',
    ]);
  });

  it('keeps columns the source dropped and relaxes their NOT NULL', () => {
    expect(diffSchema([], [target('Old', 'DATE', { nullable: false })]).changes).toEqual([
      { kind: 'source-dropped', column: 'Old' },
      { kind: 'drop-not-null', column: 'Old', reason: 'dropped from the source' },
    ]);
  });
});
