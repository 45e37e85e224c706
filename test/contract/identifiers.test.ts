/**
 * Names that break naive SQL and file paths, in schemas, tables and columns: quotes, spaces, dots,
 * slashes, Unicode, reserved words, mixed case. Every operation of a run must work on them.
 */
import { describe, expect, it } from 'vitest';
import type { BatchShape } from '../../src/connectors/destination';
import { destinations } from './destinations';
import { byId, column, contractSetup, stageAndLoad } from './helpers';

const SCHEMA = 'Sch "ema" ü/../x';
const TABLE = `Select "Tbl" 😀 it's.a;table`;
const ID = 'iD "key"';
const COLUMNS = [
  column(ID, { kind: 'integer', bytes: 8 }, false),
  column('select', { kind: 'text' }),
  column('a b.c', { kind: 'decimal', precision: 10, scale: 2 }),
  column('MiXeD', { kind: 'timestamp' }),
  column('ünï ❄', { kind: 'boolean' }),
];

describe.each(destinations)('hostile identifiers: $name', (destination) => {
  const setup = contractSetup(destination);
  const table = { schema: SCHEMA, name: TABLE };
  const rows = [
    ['1', 'from', '1.50', '2024-01-01 00:00:00', 't'],
    ['2', 'where', '-2.00', '2024-01-02 00:00:00', 'f'],
  ];

  it('creates, marks, stages, loads and reads back', async ({ skip }) => {
    const gap = setup.target().gaps?.['hostile-stage-names'];
    if (gap) return skip(gap);
    const session = setup.session();
    await session.ensureNamespace(SCHEMA);
    await session.ensureNamespace(SCHEMA);
    const marker = `run "1" it's`;
    await session.createTable(table, COLUMNS, marker);
    expect(await session.tableMarker(table)).toBe(marker);
    const { stage } = session.capabilities.runObjectNames(table, 'abc123');
    const loads = await stageAndLoad(session, setup.local(), table, COLUMNS, [{ stem: 'hostile', rows }], stage);
    expect(loads).toEqual([{ file: 'hostile.csv.zst', status: 'loaded', rows: 2 }]);
    expect(await session.countRows(table)).toBe(2);
    expect(byId(await setup.target().readRows(table, COLUMNS)).map((r) => [r[ID], r.select, r['a b.c']])).toEqual([
      ['1', 'from', '1.5'],
      ['2', 'where', '-2'],
    ]);
    expect((await session.readColumns(table)).map((c) => c.name)).toEqual(COLUMNS.map((c) => c.target));
    await session.dropStagingArea(stage);
  });

  it('replaces, evolves and commits state', async ({ skip }) => {
    const gap = setup.target().gaps?.['hostile-stage-names'];
    if (gap) return skip(gap);
    const session = setup.session();
    const { shadow } = session.capabilities.runObjectNames(table, 'run2');
    await session.createTable(shadow, COLUMNS, 'run2');
    await stageAndLoad(session, setup.local(), shadow, COLUMNS, [{ stem: 'shadow', rows: rows.slice(0, 1) }]);
    await session.replaceTable(table, shadow, true);
    expect(await session.tableMarker(table)).toBe('run2');
    expect(await session.countRows(table)).toBe(1);
    expect(await session.countRows(shadow)).toBe(2);

    const added = column('new "col" ✓', { kind: 'json' });
    const diff = session.capabilities.diffSchema([...COLUMNS, added], await session.readColumns(table));
    expect(diff).toEqual({ changes: [{ kind: 'add', column: added }], incompatible: [] });
    await session.evolve(table, { kind: 'add', column: added });

    await session.ensureStateTable(SCHEMA);
    const shape: BatchShape = {
      mode: 'incremental_merge',
      columns: COLUMNS,
      key: [ID],
      cursor: 'MiXeD',
      identity: [ID, 'MiXeD'],
      dropped: [added.target],
    };
    const state = { table: TABLE, source: 'src."t"', mode: 'incremental_merge', cursor: '2024-01-02', marker: 'm' };
    await session.commitBatch(SCHEMA, { ...state, snapshotXmin: null }, { target: table, staging: shadow, shape });
    expect(byId(await setup.target().readRows(table, [...COLUMNS, added])).map((r) => r.select)).toEqual([
      'from',
      'where',
    ]);
    expect(await session.readState(SCHEMA, TABLE)).toMatchObject(state);
    expect((await session.listState(SCHEMA)).map((s) => s.table)).toEqual([TABLE]);
    await session.dropTable(shadow);
    expect(await session.tableMarker(shadow)).toBeUndefined();
  });
});
