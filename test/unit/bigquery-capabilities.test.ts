import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bigQueryCapabilities,
  bigQueryType,
  diffSchema,
  MAX_TABLE_NAME_BYTES,
  runObjectNames,
} from '../../src/connectors/bigquery/capabilities';
import { markerFromLabel, markerLabel } from '../../src/connectors/bigquery/session';
import { loadExpression, quoteIdent, stringLiteral } from '../../src/connectors/bigquery/sql';
import type { TargetColumn } from '../../src/connectors/destination';
import { destinationCapabilities } from '../../src/connectors/destinations';
import { parsePipeline, type ConfigError } from '../../src/config/load';
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

describe('BigQuery capabilities', () => {
  it('load without the client library, and are the registry entry for bigquery', () => {
    const loaded = runtimeImports(join(root, 'src/connectors/destinations.ts'));
    expect([...loaded].filter((m) => m.startsWith('@google-cloud/') || m === 'google-auth-library')).toEqual([]);
    expect(destinationCapabilities('bigquery')).toBe(bigQueryCapabilities);
    expect(bigQueryCapabilities.codecs).toEqual(['gzip']);
    expect(bigQueryCapabilities.limits).toMatchObject({ dateRange: 'years-1-9999', time2400: false });
  });

  it('maps decimals to NUMERIC where it holds them and BIGNUMERIC beyond, and refuses what neither holds', () => {
    expect(bigQueryType({ kind: 'decimal', precision: 10, scale: 2 })).toBe('NUMERIC(10,2)');
    expect(bigQueryType({ kind: 'decimal', precision: 38, scale: 9 })).toBe('NUMERIC(38,9)');
    expect(bigQueryType({ kind: 'decimal', precision: 38, scale: 10 })).toBe('BIGNUMERIC(38,10)');
    expect(bigQueryType({ kind: 'decimal', precision: 38, scale: 0 })).toBe('BIGNUMERIC(38,0)');
    expect(bigQueryType({ kind: 'decimal', precision: 38, scale: 38 })).toBe('BIGNUMERIC(38,38)');
    expect(bigQueryType({ kind: 'decimal', precision: 29, scale: 0 })).toBe('NUMERIC(29,0)');
    expect(() => bigQueryType({ kind: 'decimal', precision: 40, scale: 0 })).toThrow(/38 digits before/);
    expect(() => bigQueryType({ kind: 'decimal', precision: 39, scale: 39 })).toThrow(/38 after/);
    // Every decimal the limits let through has a type.
    const { maxPrecision, maxScale } = bigQueryCapabilities.limits.decimal;
    for (let scale = 0; scale <= maxScale; scale++)
      expect(bigQueryType({ kind: 'decimal', precision: maxPrecision, scale })).toMatch(/NUMERIC\(38,/);
  });

  it('maps timestamps with and without zone, intervals as text and arrays as JSON', () => {
    expect(bigQueryType({ kind: 'timestamptz' })).toBe('TIMESTAMP');
    expect(bigQueryType({ kind: 'timestamp' })).toBe('DATETIME');
    expect(bigQueryType({ kind: 'interval' })).toBe('STRING');
    expect(bigQueryType({ kind: 'array' })).toBe('JSON');
    expect(bigQueryType({ kind: 'json' })).toBe('JSON');
    expect(bigQueryType({ kind: 'binary' })).toBe('BYTES');
    expect(bigQueryType({ kind: 'uuid' })).toBe('STRING');
    expect(bigQueryType({ kind: 'integer', bytes: 2 })).toBe('INT64');
  });

  it('names run objects next to the target, within the table-name limit, distinct per target', () => {
    expect(runObjectNames({ schema: 'sales', name: 'Orders' }, 'abc123')).toEqual({
      shadow: { schema: 'sales', name: 'Orders__conduit_abc123' },
      stage: { schema: 'sales', name: expect.stringMatching(/^_conduit_stage_abc123_[0-9a-f]{10}$/) as string },
    });
    const long = 'é'.repeat(510);
    const names = runObjectNames({ schema: 's', name: long }, 'abc123');
    expect(Buffer.byteLength(names.shadow.name)).toBeLessThanOrEqual(MAX_TABLE_NAME_BYTES);
    expect(names.shadow.name).not.toBe(runObjectNames({ schema: 's', name: `${long}x` }, 'abc123').shadow.name);
    expect(runObjectNames({ schema: 's', name: 'orders' }, 'k').stage.name).not.toBe(
      runObjectNames({ schema: 's', name: 'Orders' }, 'k').stage.name,
    );
  });

  it('adds columns, relaxes REQUIRED, widens decimals of the same scale and refuses the rest by name', () => {
    const diff = diffSchema(
      [
        plan('ID', { kind: 'integer', bytes: 8 }, true),
        plan('amount', { kind: 'decimal', precision: 40 - 2, scale: 2 }),
        plan('rate', { kind: 'decimal', precision: 10, scale: 4 }),
        plan('note', { kind: 'text' }),
        plan('added', { kind: 'date' }),
      ],
      [
        target('id', 'INT64', { nullable: false }),
        target('amount', 'NUMERIC', { precision: 12, scale: 2 }),
        target('rate', 'NUMERIC', { precision: 10, scale: 2 }),
        target('note', 'INT64'),
        target('gone', 'STRING', { nullable: false }),
      ],
    );
    expect(diff.changes).toEqual([
      { kind: 'drop-not-null', column: 'id', reason: 'nullable in the source now' },
      { kind: 'widen', column: expect.objectContaining({ target: 'amount' }) as ColumnPlan, from: 'NUMERIC(12,2)' },
      { kind: 'add', column: expect.objectContaining({ target: 'added' }) as ColumnPlan },
      { kind: 'source-dropped', column: 'gone' },
      { kind: 'drop-not-null', column: 'gone', reason: 'dropped from the source' },
    ]);
    expect(diff.incompatible).toEqual([
      '"rate" changed from NUMERIC(10,2) to decimal (NUMERIC(10,4)): BigQuery cannot change a decimal\'s scale ' +
        'in place (from 2 to 4)',
      '"note" changed from INT64 to text (STRING)',
    ]);
    expect(bigQueryCapabilities.describeChange(diff.changes[1] as never)).toBe(
      'widened "amount" from NUMERIC(12,2) to BIGNUMERIC(38,2)',
    );
  });

  it('needs no change where the target decimal holds every source value (an unparameterized NUMERIC is 38,9)', () => {
    const source = [plan('amount', { kind: 'decimal', precision: 20, scale: 2 })];
    expect(diffSchema(source, [target('amount', 'NUMERIC')])).toEqual({ changes: [], incompatible: [] });
  });
});

describe('BigQuery SQL', () => {
  it('quotes identifiers with backslash escapes and writes string literals that read back exactly', () => {
    expect(quoteIdent('a`b\\c')).toBe('`a\\`b\\\\c`');
    expect(stringLiteral("it's \\ \n\t\u0001é")).toBe("'it\\'s \\\\ \\x0a\\x09\\x01é'");
    expect(stringLiteral(null)).toBe('NULL');
  });

  it('casts staged text exactly: t/f to BOOL, hex to BYTES, JSON parsed, decimals to their column type', () => {
    expect(loadExpression({ kind: 'boolean' }, 0)).toBe(
      "CAST(CASE s.f1 WHEN 't' THEN 'true' WHEN 'f' THEN 'false' ELSE s.f1 END AS BOOL)",
    );
    expect(loadExpression({ kind: 'binary' }, 1)).toBe('FROM_HEX(s.f2)');
    expect(loadExpression({ kind: 'array' }, 2)).toBe('PARSE_JSON(s.f3)');
    expect(loadExpression({ kind: 'decimal', precision: 38, scale: 20 }, 3)).toBe('CAST(s.f4 AS BIGNUMERIC(38,20))');
    expect(loadExpression({ kind: 'interval' }, 4)).toBe('s.f5');
    expect(loadExpression({ kind: 'timestamptz' }, 5)).toBe('CAST(s.f6 AS TIMESTAMP)');
  });

  it('encodes run markers as label values and back', () => {
    for (const marker of ['conduit run 0a1b2c3d4e5f', 'Mixed_Case ü']) {
      const label = markerLabel(marker);
      expect(label).toMatch(/^[a-z0-9_-]{1,63}$/);
      expect(markerFromLabel(label)).toBe(marker);
    }
    expect(() => markerLabel('x'.repeat(30) + ' '.repeat(20))).toThrow(/too long/);
  });
});

describe('BigQuery config', () => {
  const document = (destination: Record<string, unknown>) => ({
    name: 'p',
    source: { type: 'postgres', host: 'h', database: 'd', user: 'u', password: '${PG_PASSWORD}' },
    destination: { type: 'bigquery', ...destination },
    tables: ['public.orders'],
  });

  it('reads project, dataset, location, a key file relative to the config, and an endpoint', () => {
    const config = parsePipeline(
      document({
        project: 'my-project-1',
        dataset: 'Sales_EU',
        location: 'EU',
        credentials: 'keys/loader.json',
        apiEndpoint: 'http://127.0.0.1:9050/',
      }),
      '/etc/conduit/pipeline.yaml',
      { env: { PG_PASSWORD: 'x' } },
    );
    expect(config.destination).toEqual({
      type: 'bigquery',
      project: 'my-project-1',
      dataset: 'Sales_EU',
      schema: 'Sales_EU',
      location: 'EU',
      credentials: '/etc/conduit/keys/loader.json',
      apiEndpoint: 'http://127.0.0.1:9050',
    });
  });

  it('refuses a project id or dataset name BigQuery would refuse, and unknown keys', () => {
    const problems = (() => {
      try {
        parsePipeline(document({ project: 'My Project', dataset: 'sales-eu', password: 'x' }), 'p.yaml', {
          env: { PG_PASSWORD: 'x' },
        });
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();
    expect(problems).toEqual([
      expect.stringContaining('`destination.password`: unknown key') as string,
      expect.stringContaining('`destination.dataset`: "sales-eu" is not allowed') as string,
      expect.stringContaining('`destination.project`: "My Project" is not allowed') as string,
    ]);
  });
});
