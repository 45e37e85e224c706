import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadPipelineFile, parsePipeline, splitQualified } from '../../src/config/load';
import { scratchDir } from '../support/scratch';

const env = {
  PGHOST: '127.0.0.1',
  PGPORT: '5433',
  PGPASSWORD: 'pg-secret',
  SF_PASSWORD: 'sf-secret',
};

function minimal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'orders',
    source: {
      type: 'postgres',
      host: '${PGHOST}',
      port: '${PGPORT}',
      database: 'shop',
      user: 'etl',
      password: '${PGPASSWORD}',
    },
    destination: {
      type: 'snowflake',
      account: 'acme',
      user: 'LOADER',
      password: '${SF_PASSWORD}',
      database: 'RAW',
      schema: 'SHOP',
    },
    tables: ['public.orders', { schema: 'sales', include: ['order*'], exclude: ['order_tmp'], partitionRows: 1000 }],
    ...overrides,
  };
}

function problems(document: unknown, options = {}): string[] {
  try {
    parsePipeline(document, 'pipeline.yaml', { env, ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the document to be rejected');
}

describe('pipeline definition', () => {
  it('interpolates environment variables and fills defaults', () => {
    const config = parsePipeline(minimal(), 'pipeline.yaml', { env });
    expect(config.source).toEqual({
      type: 'postgres',
      host: '127.0.0.1',
      port: 5433,
      database: 'shop',
      user: 'etl',
      password: 'pg-secret',
      ssl: 'disable',
    });
    expect(config.destination).toMatchObject({ type: 'snowflake', password: 'sf-secret', protocol: 'https' });
    expect(config.settings).toEqual({
      mode: 'full_refresh',
      partitionRows: 250000,
      maxParallelPartitions: 4,
      maxParallelTables: 2,
      identifierCase: 'preserve',
      onUnrepresentable: 'fail',
      snapshot: 'auto',
      heartbeatTimeoutSeconds: 30,
      compression: 'auto',
    });
    expect(config.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'conduit' });
    expect(config.tables).toEqual([
      { kind: 'table', schema: 'public', name: 'orders', overrides: {} },
      {
        kind: 'schema',
        schema: 'sales',
        include: ['order*'],
        exclude: ['order_tmp'],
        overrides: { partitionRows: 1000, mode: undefined, maxParallelPartitions: undefined, snapshot: undefined },
      },
    ]);
  });

  it('takes Temporal settings from the environment unless the file sets them', () => {
    const config = parsePipeline(minimal(), 'p.yaml', {
      env: { ...env, TEMPORAL_ADDRESS: '10.0.0.1:7233', TEMPORAL_NAMESPACE: 'etl' },
    });
    expect(config.temporal.address).toBe('10.0.0.1:7233');
    expect(config.temporal.namespace).toBe('etl');
    const fromFile = parsePipeline(minimal({ temporal: { taskQueue: 'big' } }), 'p.yaml', { env });
    expect(fromFile.temporal.taskQueue).toBe('big');
  });

  it('supports ${VAR:-default}', () => {
    const config = parsePipeline(
      minimal({ source: { ...(minimal().source as object), port: '${NOPE:-6543}' } }),
      'p.yaml',
      { env },
    );
    expect(config.source.port).toBe(6543);
  });

  it('reports every problem with its key at once', () => {
    const found = problems({
      name: 'bad name!',
      sorce: {},
      destination: { type: 'redshift', account: 'a', user: 'u', database: 'd', schema: 's', port: 'x' },
      tables: [{ name: 'no_schema' }, 42],
      settings: {
        partitionRows: 0,
        identifierCase: 'lower',
        snapshot: 'sometimes',
        heartbeatTimeoutSeconds: 5,
        compression: 'lz4',
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining('`name`: "bad name!" is not allowed'),
        expect.stringContaining('`sorce`: unknown key'),
        expect.stringContaining('`source`: required'),
        expect.stringContaining('`destination.type`: "redshift" is not one of snowflake'),
        expect.stringContaining('`destination.port`: expected a whole number'),
        expect.stringContaining('`tables[0].name`: "no_schema" is not schema.table'),
        expect.stringContaining('`tables[1]`: required, a mapping'),
        expect.stringContaining('`settings.partitionRows`: expected a whole number in 1..'),
        expect.stringContaining('`settings.identifierCase`: "lower" is not one of preserve, upper'),
        expect.stringContaining('`settings.snapshot`: "sometimes" is not one of auto, consistent, per_partition'),
        // Activities heartbeat every 5 s: a shorter timeout would retry healthy ones.
        expect.stringContaining('`settings.heartbeatTimeoutSeconds`: expected a whole number in 10..3600'),
        expect.stringContaining('`settings.compression`: "lz4" is not one of auto, zstd, gzip'),
      ]),
    );
  });

  it('refuses a literal password: secrets must come from the environment', () => {
    const document = minimal({ source: { ...(minimal().source as object), password: 'hunter2' } });
    const found = problems(document);
    expect(found).toEqual([expect.stringContaining('`source.password`: write a reference to an environment variable')]);
    expect(found.join(' ')).not.toContain('hunter2');
  });

  it('names a missing environment variable; clients may start runs without the secrets', () => {
    const withoutSecret = { PGHOST: 'h', PGPORT: '1' };
    expect(problems(minimal(), { env: withoutSecret })).toEqual([
      expect.stringContaining('`source.password`: environment variable PGPASSWORD is not set'),
      expect.stringContaining('`destination.password`: environment variable SF_PASSWORD is not set'),
    ]);
    const config = parsePipeline(minimal(), 'p.yaml', { env: withoutSecret, resolveSecrets: false });
    expect(config.source.password).toBeUndefined();
  });

  it('names the file when it cannot be read or parsed', () => {
    const dir = scratchDir('config');
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'name: [unclosed');
    expect(() => loadPipelineFile(file, { env })).toThrow(
      /broken\.yaml: invalid pipeline definition:\n {2}- not valid YAML/,
    );
    expect(() => loadPipelineFile(join(dir, 'missing.yaml'), { env })).toThrow(
      /missing\.yaml: invalid pipeline definition:\n {2}- cannot read the file/,
    );
  });

  it("reads a DuckDB destination: the path from the file's folder, schema main, tuning checked", () => {
    const duckdb = (destination: Record<string, unknown>) =>
      minimal({ destination: { type: 'duckdb', ...destination } });
    const config = parsePipeline(duckdb({ path: 'data/warehouse.duckdb' }), '/etc/conduit/p.yaml', { env });
    expect(config.destination).toEqual({ type: 'duckdb', path: '/etc/conduit/data/warehouse.duckdb', schema: 'main' });
    const tuned = parsePipeline(duckdb({ path: '/w.duckdb', memoryLimit: '2GB', threads: 2 }), 'p.yaml', { env });
    expect(tuned.destination).toMatchObject({ memoryLimit: '2GB', threads: 2 });
    expect(problems(duckdb({ path: '/w.duckdb', memoryLimit: 'lots', threads: 0, account: 'acme' }))).toEqual([
      expect.stringContaining('`destination.account`: unknown key'),
      expect.stringContaining('`destination.memoryLimit`'),
      expect.stringContaining('`destination.threads`'),
    ]);
    expect(problems(duckdb({}))).toEqual([expect.stringContaining('`destination.path`')]);
  });

  it('loads JSON as well as YAML', () => {
    const dir = scratchDir('config');
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify(minimal()));
    expect(loadPipelineFile(file, { env }).name).toBe('orders');
  });
});

describe('column choice', () => {
  it('reads columns.exclude and columns.asText on table and schema entries', () => {
    const config = parsePipeline(
      minimal({
        tables: [
          { name: 'public.orders', columns: { exclude: ['secret*'], asText: ['shape'] } },
          { schema: 'sales', columns: { asText: ['geo_?'] } },
          'public.plain',
        ],
      }),
      'pipeline.yaml',
      { env },
    );
    expect(config.tables.map((t) => t.overrides.columns)).toEqual([
      { exclude: ['secret*'], asText: ['shape'] },
      { exclude: [], asText: ['geo_?'] },
      undefined,
    ]);
  });

  it('refuses unknown keys, patterns that are not text and a pattern in both lists', () => {
    const found = problems(
      minimal({
        tables: [
          { name: 'public.a', columns: { exclude: ['x', 'both'], asText: ['both'], include: ['y'] } },
          { name: 'public.b', columns: { exclude: 'x' } },
          { name: 'public.c', columns: ['x'] },
        ],
      }),
    );
    expect(found).toEqual([
      expect.stringContaining('`tables[0].columns.include`: unknown key (known here: exclude, asText)'),
      expect.stringContaining('`tables[0].columns`: "both" is in both `exclude` and `asText`'),
      expect.stringContaining('`tables[1].columns.exclude`: expected a list of text patterns'),
      expect.stringContaining('`tables[2].columns`: required, a mapping of keys'),
    ]);
  });
});

describe('qualified names', () => {
  it('splits on dots outside double quotes', () => {
    expect(splitQualified('public.orders')).toEqual(['public', 'orders']);
    expect(splitQualified('"Sales"."Order Items"')).toEqual(['Sales', 'Order Items']);
    expect(splitQualified('"my.schema"."a""b"')).toEqual(['my.schema', 'a"b']);
    expect(splitQualified('"unterminated')).toBeUndefined();
  });
});
