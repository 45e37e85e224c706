/**
 * Schema evolution through the interface: the destination's diff of a changed source against its
 * target, each change applied in place with every value kept, a second diff finding nothing left to do,
 * and changes it cannot make refused with the column named.
 */
import { describe, expect, it } from 'vitest';
import type { SchemaChange } from '../../src/connectors/destination';
import { destinations } from './destinations';
import { byId, column, contractSetup, stageAndLoad } from './helpers';

const GONE = column('gone', { kind: 'text' }, false);
const BEFORE = [
  column('id', { kind: 'integer', bytes: 4 }, false),
  column('amount', { kind: 'decimal', precision: 10, scale: 2 }, false),
  column('name', { kind: 'text', maxLength: 10 }),
  column('ratio', { kind: 'float', bytes: 4 }),
  GONE,
];
const AFTER = [
  column('id', { kind: 'integer', bytes: 8 }, false),
  column('amount', { kind: 'decimal', precision: 14, scale: 2 }),
  column('name', { kind: 'text', maxLength: 200 }),
  column('ratio', { kind: 'float', bytes: 8 }),
  column('extra', { kind: 'json' }),
];

describe.each(destinations)('schema evolution: $name', (destination) => {
  const setup = contractSetup(destination);

  it('adds, widens and relaxes in place, keeping every value', async () => {
    const session = setup.session();
    const table = { schema: setup.target().schema, name: 'evolving' };
    await session.createTable(table, BEFORE, 'm');
    await stageAndLoad(session, setup.local(), table, BEFORE, [
      { stem: 'before', rows: [['2147483647', '99999999.99', 'ten chars!', '1.5', 'x']] },
    ]);
    const diff = session.capabilities.diffSchema(AFTER, await session.readColumns(table));
    expect(diff.incompatible).toEqual([]);
    const kinds = diff.changes.map((c) => `${c.kind} ${typeof c.column === 'string' ? c.column : c.column.target}`);
    expect(kinds).toEqual(
      expect.arrayContaining(['drop-not-null amount', 'add extra', 'source-dropped gone', 'drop-not-null gone']),
    );
    for (const change of diff.changes) {
      expect(session.capabilities.describeChange(change)).not.toBe('');
      await session.evolve(table, change);
    }
    const again = session.capabilities.diffSchema(AFTER, await session.readColumns(table));
    expect(again.incompatible).toEqual([]);
    expect(again.changes.filter((c: SchemaChange) => c.kind !== 'source-dropped')).toEqual([]);

    await stageAndLoad(session, setup.local(), table, AFTER, [
      { stem: 'after', rows: [['9223372036854775807', '1234567890.12', 'x'.repeat(200), '0.1', '{"a": 1}']] },
    ]);
    const rows = byId(await setup.target().readRows(table, [...AFTER, GONE]));
    expect(rows.map((r) => [r.id, r.amount, r.name?.length, r.ratio, r.extra, r.gone])).toEqual([
      ['2147483647', '99999999.99', 10, '1.5', null, 'x'],
      ['9223372036854775807', '1234567890.12', 200, '0.1', '{"a":1}', null],
    ]);
  });

  it('refuses changes it cannot make, naming the column', async () => {
    const session = setup.session();
    const table = { schema: setup.target().schema, name: 'refusing' };
    await session.createTable(table, BEFORE, 'm');
    const changed = [
      column('id', { kind: 'text' }, false),
      column('amount', { kind: 'decimal', precision: 38, scale: 37 }),
      column('name', { kind: 'timestamp' }),
    ];
    const diff = session.capabilities.diffSchema(changed, await session.readColumns(table));
    expect(diff.incompatible).toHaveLength(3);
    for (const [i, name] of ['id', 'amount', 'name'].entries()) expect(diff.incompatible[i]).toContain(`"${name}"`);
  });
});
