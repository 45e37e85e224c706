/**
 * Tables of one run are processed in parallel (settings.maxParallelTables), each activity on a session
 * of its own: creating, loading, swapping and committing different tables of one schema at the same time
 * must all succeed.
 */
import { describe, expect, it } from 'vitest';
import type { BatchShape } from '../../src/connectors/destination';
import { destinations } from './destinations';
import { column, contractSetup, stageAndLoad } from './helpers';

const COLUMNS = [column('id', { kind: 'integer', bytes: 4 }, false), column('at', { kind: 'integer', bytes: 8 })];
const APPEND: BatchShape = {
  mode: 'incremental_append',
  columns: COLUMNS,
  key: ['id'],
  cursor: 'at',
  identity: ['id', 'at'],
  dropped: [],
};

describe.each(destinations)('parallel tables: $name', (destination) => {
  const setup = contractSetup(destination);

  it('creates, loads, replaces and commits several tables at once', async () => {
    const schema = setup.target().schema;
    await setup.session().ensureStateTable(schema);
    const names = ['par_a', 'par_b', 'par_c'];
    const sessions = await Promise.all(names.map(() => setup.target().open()));
    try {
      await Promise.all(
        names.map(async (name, i) => {
          const session = sessions[i] ?? setup.session();
          const target = { schema, name };
          const { shadow } = session.capabilities.runObjectNames(target, 'par');
          const rows = Array.from({ length: 50 * (i + 1) }, (_, n) => [String(n), String(n)]);
          await session.createTable(target, COLUMNS, 'old');
          await session.createTable(shadow, COLUMNS, 'new');
          await stageAndLoad(session, setup.local(), shadow, COLUMNS, [{ stem: name, rows }]);
          await session.replaceTable(target, shadow, true);
          await session.commitBatch(
            schema,
            {
              table: name,
              source: `public.${name}`,
              mode: 'incremental_append',
              cursor: '1',
              marker: 'par',
              snapshotXmin: null,
            },
            { target, staging: shadow, shape: APPEND },
          );
        }),
      );
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
    const session = setup.session();
    for (const [i, name] of names.entries()) expect(await session.countRows({ schema, name })).toBe(50 * (i + 1));
    expect((await session.listState(schema)).map((s) => s.table)).toEqual(names);
  });
});
