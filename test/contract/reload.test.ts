/**
 * A load repeated after a crash loads nothing twice: files the table loaded already are skipped, new
 * ones loaded, and a table made anew (or swapped) answers for its own loads only.
 */
import { describe, expect, it } from 'vitest';
import { destinations } from './destinations';
import { column, contractSetup, stageAndLoad } from './helpers';
import { writeStagedFile } from './staged-csv';

const COLUMNS = [column('id', { kind: 'integer', bytes: 4 }, false), column('note', { kind: 'text' })];
const rows = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => [String(from + i), `row ${from + i}`]);

describe.each(destinations)('idempotent reload: $name', (destination) => {
  const setup = contractSetup(destination);

  it('skips files loaded before and counts each file once', async () => {
    const session = setup.session();
    const table = { schema: setup.target().schema, name: 'reloaded' };
    const stage = { schema: table.schema, name: 'reloaded_stage' };
    await session.createTable(table, COLUMNS, 'm');
    const first = await stageAndLoad(session, setup.local(), table, COLUMNS, [{ stem: 'a', rows: rows(1, 3) }], stage);
    expect(first).toEqual([{ file: 'a.csv.zst', status: 'loaded', rows: 3 }]);

    const again = await session.loadFiles(table, COLUMNS, stage, ['a.csv.zst']);
    expect(again).toEqual([{ file: 'a.csv.zst', status: 'skipped', rows: 0 }]);
    expect(await session.countRows(table)).toBe(3);

    const more = await stageAndLoad(session, setup.local(), table, COLUMNS, [{ stem: 'b', rows: rows(4, 2) }], stage);
    expect(more).toEqual([{ file: 'b.csv.zst', status: 'loaded', rows: 2 }]);
    // A retried load of everything: both skipped, nothing doubled.
    expect(await session.loadFiles(table, COLUMNS, stage, ['a.csv.zst', 'b.csv.zst'])).toEqual([
      { file: 'a.csv.zst', status: 'skipped', rows: 0 },
      { file: 'b.csv.zst', status: 'skipped', rows: 0 },
    ]);
    expect(await session.countRows(table)).toBe(5);
  });

  it('runs concurrent repeats of one load once', async ({ skip }) => {
    const gap = setup.target().gaps?.['concurrent-loads-of-one-file'];
    if (gap) return skip(gap);
    const session = setup.session();
    const other = await setup.target().open();
    try {
      const table = { schema: setup.target().schema, name: 'raced' };
      const stage = { schema: table.schema, name: 'raced_stage' };
      await session.createTable(table, COLUMNS, 'm');
      await session.createStagingArea(stage);
      await session.upload(stage, await writeStagedFile(setup.local(), 'raced', rows(1, 100), 'gzip'), 'gzip');
      const outcomes = await Promise.all([
        session.loadFiles(table, COLUMNS, stage, ['raced.csv.gz']),
        other.loadFiles(table, COLUMNS, stage, ['raced.csv.gz']),
      ]);
      expect(
        outcomes
          .flat()
          .map((o) => o.status)
          .sort(),
      ).toEqual(['loaded', 'skipped']);
      expect(await session.countRows(table)).toBe(100);
    } finally {
      await other.close();
    }
  });

  it('loads a file again into a table made anew, and load records follow a swap', async () => {
    const session = setup.session();
    const target = { schema: setup.target().schema, name: 'remade' };
    const stage = { schema: target.schema, name: 'remade_stage' };
    await session.createTable(target, COLUMNS, 'first');
    await stageAndLoad(session, setup.local(), target, COLUMNS, [{ stem: 'x', rows: rows(1, 2) }], stage);
    await session.createTable(target, COLUMNS, 'second');
    expect(await session.loadFiles(target, COLUMNS, stage, ['x.csv.zst'])).toEqual([
      { file: 'x.csv.zst', status: 'loaded', rows: 2 },
    ]);

    const { shadow } = session.capabilities.runObjectNames(target, 'swap');
    await session.createTable(shadow, COLUMNS, 'third');
    await stageAndLoad(session, setup.local(), shadow, COLUMNS, [{ stem: 'y', rows: rows(10, 4) }], stage);
    await session.replaceTable(target, shadow, true);
    // The target is the table that loaded y; the shadow is the one that loaded x.
    expect(await session.loadFiles(target, COLUMNS, stage, ['y.csv.zst', 'x.csv.zst'])).toEqual([
      { file: 'y.csv.zst', status: 'skipped', rows: 0 },
      { file: 'x.csv.zst', status: 'loaded', rows: 2 },
    ]);
    expect(await session.loadFiles(shadow, COLUMNS, stage, ['x.csv.zst'])).toEqual([
      { file: 'x.csv.zst', status: 'skipped', rows: 0 },
    ]);
    expect(await session.countRows(target)).toBe(6);
  });

  it('replaces a staged file uploaded again under its name', async () => {
    const session = setup.session();
    const table = { schema: setup.target().schema, name: 'reuploaded' };
    const stage = { schema: table.schema, name: 'reuploaded_stage' };
    await session.createTable(table, COLUMNS, 'm');
    await session.createStagingArea(stage);
    await session.upload(stage, await writeStagedFile(setup.local(), 'part', rows(1, 5), 'zstd'), 'zstd');
    // A redone partition stages its file again before the load.
    await session.upload(stage, await writeStagedFile(setup.local(), 'part', rows(1, 2), 'zstd'), 'zstd');
    expect(await session.loadFiles(table, COLUMNS, stage, ['part.csv.zst'])).toEqual([
      { file: 'part.csv.zst', status: 'loaded', rows: 2 },
    ]);
    await session.dropStagingArea(stage);
    await session.dropStagingArea(stage);
  });
});
