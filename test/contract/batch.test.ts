/**
 * Incremental batches and the state table: a batch and its state row commit together or not at all;
 * append adds only rows not held yet; merge keeps the latest version per key, deletes soft-deleted keys
 * and NULLs dropped columns; a full load of a merge table settles to what a merge would leave.
 */
import { describe, expect, it } from 'vitest';
import type { BatchShape, StateRow } from '../../src/connectors/destination';
import type { QualifiedName } from '../../src/shared';
import { destinations } from './destinations';
import { byId, column, contractSetup, stageAndLoad } from './helpers';

const COLUMNS = [
  column('id', { kind: 'integer', bytes: 4 }, false),
  column('updated', { kind: 'integer', bytes: 8 }),
  column('value', { kind: 'text' }),
  column('deleted', { kind: 'boolean' }),
];
const LEGACY = column('legacy', { kind: 'text' });

const APPEND: BatchShape = {
  mode: 'incremental_append',
  columns: COLUMNS,
  key: ['id'],
  cursor: 'updated',
  identity: ['id', 'updated'],
  dropped: [],
};
const MERGE: BatchShape = {
  mode: 'incremental_merge',
  columns: COLUMNS,
  key: ['id'],
  cursor: 'updated',
  identity: ['id', 'updated'],
  dropped: [LEGACY.target],
  deleteWhen: { column: 'deleted', boolean: true },
};

function state(table: string, cursor: string, marker: string): StateRow {
  return { table, source: `public.${table}`, mode: 'incremental_append', cursor, marker, snapshotXmin: '1234' };
}

describe.each(destinations)('batches and state: $name', (destination) => {
  const setup = contractSetup(destination);
  const schema = () => setup.target().schema;
  const named = (name: string): QualifiedName => ({ schema: schema(), name });
  const values = async (table: QualifiedName, columns = COLUMNS) =>
    byId(await setup.target().readRows(table, columns)).map((r) => Object.values(r));

  async function tableWith(name: string, rows: (string | null)[][], columns = COLUMNS): Promise<QualifiedName> {
    const table = named(name);
    await setup.session().createTable(table, columns, name);
    if (rows.length > 0) await stageAndLoad(setup.session(), setup.local(), table, columns, [{ stem: name, rows }]);
    return table;
  }

  it('keeps state absent until the first commit, then reads and lists it', async () => {
    const session = setup.session();
    expect(await session.listState(schema())).toEqual([]);
    await session.ensureStateTable(schema());
    await session.ensureStateTable(schema());
    expect(await session.readState(schema(), 'nothing')).toBeUndefined();
    await session.commitBatch(schema(), state('only_state', '42', 'run-1'));
    const read = await session.readState(schema(), 'only_state');
    expect(read).toMatchObject(state('only_state', '42', 'run-1'));
    expect(Number.isNaN(Date.parse(read?.updated ?? ''))).toBe(false);
    expect(await session.listState(schema())).toEqual([read]);
  });

  it('appends only rows the target does not hold, with the state in the same commit', async () => {
    const session = setup.session();
    const target = await tableWith('appended', [['1', '10', 'a', null]]);
    const staging = await tableWith('appended_batch', [
      ['1', '10', 'a', null],
      ['1', '11', 'a2', null],
      ['2', '12', 'b', null],
    ]);
    const batch = { target, staging, shape: APPEND };
    await session.commitBatch(schema(), state('appended', '12', 'run-2'), batch);
    // The same batch again (a retried commit): nothing more.
    await session.commitBatch(schema(), state('appended', '12', 'run-2'), batch);
    expect(await values(target)).toEqual([
      ['1', '10', 'a', null],
      ['1', '11', 'a2', null],
      ['2', '12', 'b', null],
    ]);
    expect(await session.readState(schema(), 'appended')).toMatchObject({ cursor: '12', marker: 'run-2' });
  });

  it('leaves neither rows nor state when any part of the commit fails', async () => {
    const session = setup.session();
    const target = await tableWith('atomic', [
      ['1', '10', 'a', null],
      ['2', '10', 'b', null],
    ]);
    await session.commitBatch(schema(), state('atomic', '10', 'run-before'));
    const staging = await tableWith('atomic_batch', [['2', '20', 'b2', null]]);
    const failed = state('atomic', '99', 'run-failed');
    // The staging table is missing: nothing can apply.
    await expect(
      session.commitBatch(schema(), failed, { target, staging: named('no_such_staging_table'), shape: MERGE }),
    ).rejects.toThrow();
    // The merge's rows of key 2 go, then its insert fails on a soft-delete column the batch lacks.
    await expect(
      session.commitBatch(schema(), failed, {
        target,
        staging,
        shape: { ...MERGE, deleteWhen: { column: 'no_such_column', boolean: true } },
      }),
    ).rejects.toThrow();
    // The batch applies, then its state row cannot be written: a schema without a state table.
    await session.ensureNamespace('no_state_here');
    await expect(session.commitBatch('no_state_here', failed, { target, staging, shape: APPEND })).rejects.toThrow();
    expect(await values(target)).toEqual([
      ['1', '10', 'a', null],
      ['2', '10', 'b', null],
    ]);
    expect(await session.readState(schema(), 'atomic')).toMatchObject({ cursor: '10', marker: 'run-before' });
    expect(await session.readState('no_state_here', 'atomic')).toBeUndefined();
  });

  it('merges by key: the latest version wins, soft deletes delete, dropped columns become NULL', async () => {
    const session = setup.session();
    const columns = [...COLUMNS, LEGACY];
    const target = await tableWith(
      'merged',
      [
        ['1', '10', 'one', 'f', 'kept?'],
        ['2', '10', 'two', 'f', 'old'],
        ['3', '10', 'three', 'f', 'old'],
      ],
      columns,
    );
    const staging = await tableWith('merged_batch', [
      ['2', '20', 'two v2', 'f'],
      ['2', '21', 'two v3', null],
      ['3', '22', 'three', 't'],
      ['4', '23', 'four', null],
      ['5', '24', 'five', 't'],
    ]);
    const batch = { target, staging, shape: MERGE };
    await session.commitBatch(schema(), state('merged', '24', 'run-3'), batch);
    await session.commitBatch(schema(), state('merged', '24', 'run-3'), batch);
    expect(await values(target, columns)).toEqual([
      ['1', '10', 'one', 'false', 'kept?'],
      ['2', '21', 'two v3', null, null],
      ['4', '23', 'four', null, null],
    ]);
  });

  it('settles a full load of a merge table to one row per key without soft-deleted rows', async () => {
    const session = setup.session();
    const staging = await tableWith('settled', [
      ['1', '1', 'a', 'f'],
      ['1', '2', 'a2', 'f'],
      ['2', '3', 'b', 'f'],
      ['2', '4', 'b gone', 't'],
      ['3', '5', 'c', null],
    ]);
    await session.settleFullLoad(staging, MERGE);
    await session.settleFullLoad(staging, MERGE);
    expect(await values(staging)).toEqual([
      ['1', '2', 'a2', 'false'],
      ['3', '5', 'c', null],
    ]);
    expect(await session.tableMarker(staging)).toBe('settled');
    expect((await session.readColumns(staging)).find((c) => c.name === 'id')?.nullable).toBe(false);
  });
});
