/**
 * The BigQuery session against the emulator (bqemulator behind emulator/bigquery/conduit_bigquery.py),
 * through the official client: staged gzip CSV in the extract's format loaded value-exact, repeated
 * loads skipped, a failed load leaving nothing, the copy-job replace keeping the target's description and
 * labels, a batch and its state row in one transaction, settled full loads and schema evolution.
 * Values the emulator cannot hold (docs/bigquery-emulator.md: FLOAT64 infinities, BIGNUMERIC beyond 38
 * digits) are left to the unit tests of the SQL.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TableMetadata } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, runQuery } from '../../src/connectors/bigquery/client';
import { openBigQuerySession } from '../../src/connectors/bigquery/session';
import { createCompressor } from '../../src/connectors/compression';
import type { BatchShape, DestinationSession } from '../../src/connectors/destination';
import { PermanentError } from '../../src/connectors/errors';
import {
  bigQueryEmulatorDestination,
  startBigQueryEmulator,
  type BigQueryEmulatorService,
} from '../../src/dev/bigquery-emulator';
import type { BigQueryDestination } from '../../src/config/pipeline';
import type { ColumnKind, ColumnPlan, QualifiedName } from '../../src/shared';

function column(name: string, type: ColumnKind, nullable = true): ColumnPlan {
  return { source: name, target: name, sourceType: type.kind, sourceTypname: type.kind, type, nullable };
}

/** A field as PostgreSQL's COPY (FORMAT csv) writes it: NULL unquoted empty, '' as "". */
function csvField(value: string | null): string {
  if (value === null) return '';
  if (value === '' || /[",\r\n]/.test(value)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

let emulator: BigQueryEmulatorService | undefined;
let config: BigQueryDestination;
let session: DestinationSession;
let local = join(tmpdir(), 'conduit-bigquery-test-unset');

async function stage(stem: string, rows: (string | null)[][], stageName: QualifiedName): Promise<string> {
  const file = join(local, `${stem}.csv.gz`);
  const text = rows.map((row) => `${row.map(csvField).join(',')}\n`).join('');
  await pipeline(Readable.from([Buffer.from(text)]), createCompressor('gzip'), createWriteStream(file));
  await session.createStagingArea(stageName);
  await session.upload(stageName, file, 'gzip');
  return `${stem}.csv.gz`;
}

/** Every row, each value as GoogleSQL's text of it (JSON as TO_JSON_STRING, BYTES as hex). */
async function read(table: QualifiedName, columns: ColumnPlan[]): Promise<Record<string, unknown>[]> {
  const list = columns
    .map((c) => {
      const ref = `\`${c.target}\``;
      const kind = c.type.kind;
      const value =
        kind === 'json' || kind === 'array'
          ? `TO_JSON_STRING(${ref})`
          : kind === 'binary'
            ? `TO_HEX(${ref})`
            : kind === 'timestamptz'
              ? `FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6SZ', ${ref})`
              : `CAST(${ref} AS STRING)`;
      return `${value} AS \`${c.target}\``;
    })
    .join(', ');
  const rows = await runQuery(
    createClient(config),
    `SELECT ${list} FROM \`${config.project}\`.\`${table.schema}\`.\`${table.name}\` ORDER BY 1`,
  );
  // The emulator spells a decimal with its column's scale (1.100); BigQuery without trailing zeros.
  const decimals = columns.filter((c) => c.type.kind === 'decimal').map((c) => c.target);
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([name, value]) => [
        name,
        decimals.includes(name) && typeof value === 'string' && value.includes('.')
          ? value.replace(/0+$/, '').replace(/\.$/, '')
          : value,
      ]),
    ),
  );
}

beforeAll(async () => {
  const started = await startBigQueryEmulator();
  emulator = started;
  config = bigQueryEmulatorDestination(started, 'contract');
  session = await openBigQuerySession(config);
  await session.ensureNamespace(config.dataset);
  local = await mkdtemp(join(tmpdir(), 'conduit-bigquery-test-'));
});

afterAll(async () => {
  await emulator?.stop();
  await rm(local, { recursive: true, force: true });
});

describe('BigQuery session on the emulator', () => {
  const columns = [
    column('id', { kind: 'integer', bytes: 8 }, false),
    column('amount', { kind: 'decimal', precision: 10, scale: 2 }),
    column('wide', { kind: 'decimal', precision: 38, scale: 20 }),
    column('ratio', { kind: 'float', bytes: 8 }),
    column('flag', { kind: 'boolean' }),
    column('note', { kind: 'text' }),
    column('day', { kind: 'date' }),
    column('clock', { kind: 'time' }),
    column('local_ts', { kind: 'timestamp' }),
    column('zoned_ts', { kind: 'timestamptz' }),
    column('span', { kind: 'interval' }),
    column('uid', { kind: 'uuid' }),
    column('doc', { kind: 'json' }),
    column('tags', { kind: 'array' }),
    column('raw', { kind: 'binary' }),
  ];

  it('declares the types it creates and loads every kind value-exact, NULL apart from the empty string', async () => {
    const table = { schema: config.dataset, name: 'types' };
    await session.createTable(table, columns, 'conduit run types01');
    const file = await stage(
      'types-1',
      [
        [
          '1',
          '12345678.91',
          '-123456789012345678.12345678901234567890',
          '-0.000125',
          't',
          'a "quoted", multi\nline value',
          '0001-01-01',
          '23:59:59.999999',
          '9999-12-31 23:59:59.999999',
          '2024-02-29T12:34:56.123456+05:30',
          'P1Y2M3DT4H5M6.5S',
          'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
          '{"a": [1, 2, {"b": null}], "k": "v"}',
          '[1,null,3]',
          '00ff10',
        ],
        ['2', null, null, null, 'f', '', null, null, null, null, null, null, null, null, ''],
        ['3', null, null, null, null, null, null, null, null, null, null, null, null, null, null],
      ],
      { schema: config.dataset, name: 'types_stage' },
    );
    const loads = await session.loadFiles(table, columns, { schema: config.dataset, name: 'types_stage' }, [file]);
    expect(loads).toEqual([{ file, status: 'loaded', rows: 3 }]);
    const rows = await read(table, columns);
    expect(rows).toEqual([
      {
        id: '1',
        amount: '12345678.91',
        wide: '-123456789012345678.1234567890123456789',
        ratio: '-0.000125',
        flag: 'true',
        note: 'a "quoted", multi\nline value',
        day: '0001-01-01',
        clock: '23:59:59.999999',
        local_ts: '9999-12-31 23:59:59.999999',
        zoned_ts: '2024-02-29T07:04:56.123456Z',
        span: 'P1Y2M3DT4H5M6.5S',
        uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        doc: '{"a":[1,2,{"b":null}],"k":"v"}',
        tags: '[1,null,3]',
        raw: '00ff10',
      },
      { ...nulls(columns), id: '2', flag: 'false', note: '', raw: '' },
      { ...nulls(columns), id: '3' },
    ]);
    expect(await session.readColumns(table)).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'id', nullable: false })]),
    );
    expect(await session.tableMarker(table)).toBe('conduit run types01');
  });

  it('skips a file the table loaded already, and loads it again into a table created anew', async () => {
    const table = { schema: config.dataset, name: 'reload' };
    const small = [columns[0] as ColumnPlan, columns[5] as ColumnPlan];
    const stageName = { schema: config.dataset, name: 'reload_stage' };
    await session.createTable(table, small, 'conduit run reload1');
    const file = await stage(
      'reload-1',
      [
        ['1', 'x'],
        ['2', 'y'],
      ],
      stageName,
    );
    expect(await session.loadFiles(table, small, stageName, [file])).toEqual([{ file, status: 'loaded', rows: 2 }]);
    expect(await session.loadFiles(table, small, stageName, [file])).toEqual([{ file, status: 'skipped', rows: 0 }]);
    expect(await session.countRows(table)).toBe(2);
    await session.createTable(table, small, 'conduit run reload2');
    expect(await session.loadFiles(table, small, stageName, [file])).toEqual([{ file, status: 'loaded', rows: 2 }]);
    expect(await session.countRows(table)).toBe(2);
  });

  it('fails a file holding a value its column cannot take, permanently, loading none of its rows', async () => {
    const table = { schema: config.dataset, name: 'bad_values' };
    const small = [columns[0] as ColumnPlan, column('when', { kind: 'date' })];
    const stageName = { schema: config.dataset, name: 'bad_stage' };
    await session.createTable(table, small, 'conduit run bad1');
    const file = await stage(
      'bad-1',
      [
        ['1', '2024-01-01'],
        ['2', 'not a date'],
      ],
      stageName,
    );
    const failure = await session.loadFiles(table, small, stageName, [file]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PermanentError);
    expect(String(failure)).not.toContain('not a date');
    expect(await session.countRows(table)).toBe(0);
    const [tables] = await createClient(config).dataset(config.dataset).getTables();
    expect(tables.map((t) => t.id).filter((id) => id?.startsWith('_conduit_load_'))).toEqual([]);
  });

  it('replaces a target with a shadow by a copy, keeping the target description and labels', async () => {
    const target = { schema: config.dataset, name: 'orders' };
    const shadow = { schema: config.dataset, name: 'orders__conduit_run2' };
    const small = [columns[0] as ColumnPlan, columns[5] as ColumnPlan];
    const stageName = { schema: config.dataset, name: 'orders_stage' };
    await session.createTable(target, small, 'conduit run run1');
    await session.loadFiles(target, small, stageName, [await stage('orders-old', [['1', 'old']], stageName)]);
    const client = createClient(config);
    await client
      .dataset(config.dataset)
      .table('orders')
      .setMetadata({
        description: 'the orders, by the data team',
        labels: { team: 'data' },
        schema: {
          fields: [
            { name: 'id', type: 'INT64', mode: 'REQUIRED', description: 'order number' },
            { name: 'note', type: 'STRING', mode: 'NULLABLE' },
          ],
        },
      });
    await session.createTable(shadow, small, 'conduit run run2');
    await session.loadFiles(shadow, small, stageName, [
      await stage(
        'orders-new',
        [
          ['2', 'new'],
          ['3', 'newer'],
        ],
        stageName,
      ),
    ]);
    await session.replaceTable(target, shadow, true);
    expect(await read(target, small)).toEqual([
      { id: '2', note: 'new' },
      { id: '3', note: 'newer' },
    ]);
    expect(await session.tableMarker(target)).toBe('conduit run run2');
    const response = await client.dataset(config.dataset).table('orders').getMetadata();
    const metadata = response[0] as TableMetadata;
    expect(metadata.description).toBe('the orders, by the data team');
    expect(metadata.labels).toMatchObject({ team: 'data' });
    expect(metadata.schema?.fields?.[0]).toMatchObject({ name: 'id', description: 'order number' });
    await session.dropTable(shadow);
    expect(await session.tableMarker(shadow)).toBeUndefined();
  });

  it('commits a merged batch with its state row in one transaction, and neither when the batch fails', async () => {
    const schema = config.dataset;
    const target = { schema, name: 'customers' };
    const staging = { schema, name: 'customers_batch' };
    const merged = [
      columns[0] as ColumnPlan,
      column('name', { kind: 'text' }),
      column('version', { kind: 'integer', bytes: 8 }),
      column('deleted', { kind: 'boolean' }),
    ];
    const shape: BatchShape = {
      mode: 'incremental_merge',
      columns: merged,
      key: ['id'],
      cursor: 'version',
      identity: ['id', 'version'],
      dropped: [],
      deleteWhen: { column: 'deleted', boolean: true },
    };
    const stageName = { schema, name: 'customers_stage' };
    await session.ensureStateTable(schema);
    await session.createTable(target, merged, 'conduit run c1');
    await session.loadFiles(target, merged, stageName, [
      await stage(
        'customers-0',
        [
          ['1', 'ann', '1', 'f'],
          ['2', 'bob', '1', 'f'],
        ],
        stageName,
      ),
    ]);
    await session.createTable(staging, merged, 'conduit run c2');
    await session.loadFiles(staging, merged, stageName, [
      await stage(
        'customers-1',
        [
          ['1', 'ann v2', '2', 'f'],
          ['1', 'ann v3', '3', 'f'],
          ['2', 'bob', '2', 't'],
          ['4', 'dan', '2', 'f'],
        ],
        stageName,
      ),
    ]);
    const state = {
      table: 'customers',
      source: 'public.customers',
      mode: 'incremental_merge',
      cursor: '3',
      marker: 'conduit run c2',
      snapshotXmin: null,
    };
    await session.commitBatch(schema, state, { target, staging, shape });
    expect(await read(target, merged.slice(0, 3))).toEqual([
      { id: '1', name: 'ann v3', version: '3' },
      { id: '4', name: 'dan', version: '2' },
    ]);
    expect(await session.readState(schema, 'customers')).toMatchObject({ cursor: '3', marker: 'conduit run c2' });

    const missing = { schema, name: 'no_such_batch' };
    await expect(
      session.commitBatch(
        schema,
        { ...state, cursor: '9', marker: 'conduit run c3' },
        { target, staging: missing, shape },
      ),
    ).rejects.toThrow();
    expect(await session.readState(schema, 'customers')).toMatchObject({ cursor: '3', marker: 'conduit run c2' });
    expect((await session.listState(schema)).map((s) => s.table)).toEqual(['customers']);

    await session.settleFullLoad(staging, shape);
    expect(await read(staging, merged.slice(0, 3))).toEqual([
      { id: '1', name: 'ann v3', version: '3' },
      { id: '4', name: 'dan', version: '2' },
    ]);
    expect(await session.tableMarker(staging)).toBe('conduit run c2');
  });

  it('adds a column a source gained', async () => {
    const table = { schema: config.dataset, name: 'evolving' };
    const before = [columns[0] as ColumnPlan];
    await session.createTable(table, before, 'conduit run e1');
    const after = [...before, column('added', { kind: 'text' })];
    const diff = session.capabilities.diffSchema(after, await session.readColumns(table));
    expect(diff).toEqual({ changes: [{ kind: 'add', column: after[1] }], incompatible: [] });
    for (const change of diff.changes) await session.evolve(table, change);
    expect((await session.readColumns(table)).map((c) => c.name)).toEqual(['id', 'added']);
  });
});

function nulls(columns: ColumnPlan[]): Record<string, null> {
  return Object.fromEntries(columns.map((c) => [c.target, null]));
}
