/**
 * replaceTable as readers see it: another session polling the target while tables are swapped back
 * and forth sees the complete old content or the complete new one, never an empty, partial or missing
 * table; after a swap the shadow holds the old rows, after a rename there is no shadow.
 */
import { describe, expect, it } from 'vitest';
import { destinations } from './destinations';
import { column, contractSetup, stageAndLoad } from './helpers';

const COLUMNS = [column('id', { kind: 'integer', bytes: 4 }, false), column('version', { kind: 'text' })];

function rows(count: number, version: string): string[][] {
  return Array.from({ length: count }, (_, i) => [String(i + 1), version]);
}

describe.each(destinations)('atomic replace: $name', (destination) => {
  const setup = contractSetup(destination);

  it('renames the shadow in when there is no target', async () => {
    const session = setup.session();
    const target = { schema: setup.target().schema, name: 'renamed_in' };
    const { shadow } = session.capabilities.runObjectNames(target, 'first');
    await session.createTable(shadow, COLUMNS, 'first');
    await stageAndLoad(session, setup.local(), shadow, COLUMNS, [{ stem: 'first', rows: rows(3, 'new') }]);
    await session.replaceTable(target, shadow, false);
    expect(await session.tableMarker(target)).toBe('first');
    expect(await session.countRows(target)).toBe(3);
    expect(await session.tableMarker(shadow)).toBeUndefined();
  });

  it('never shows a reader anything but the old or the new table', async () => {
    const session = setup.session();
    const target = { schema: setup.target().schema, name: 'polled' };
    const { shadow } = session.capabilities.runObjectNames(target, 'second');
    await session.createTable(target, COLUMNS, 'old');
    await stageAndLoad(session, setup.local(), target, COLUMNS, [{ stem: 'old', rows: rows(1000, 'old') }]);
    await session.createTable(shadow, COLUMNS, 'new');
    await stageAndLoad(session, setup.local(), shadow, COLUMNS, [{ stem: 'new', rows: rows(1500, 'new') }]);

    const reader = await setup.target().open();
    const seen = new Set<string>();
    let polls = 0;
    const stop = new AbortController();
    const poll = (async () => {
      while (!stop.signal.aborted) {
        // Each read on its own: the two may straddle a swap.
        const counted = await reader.countRows(target).then(
          (count) => `count ${count}`,
          (error: unknown) => `error: ${String(error)}`,
        );
        const read = await setup
          .target()
          .readRows(target, COLUMNS)
          .then(
            (all) => `rows ${all.length} ${[...new Set(all.map((r) => r.version))].join('+')}`,
            (error: unknown) => `error: ${String(error)}`,
          );
        seen.add(counted).add(read);
        polls++;
      }
    })();
    try {
      for (let swap = 0; swap < 20; swap++) await session.replaceTable(target, shadow, true);
    } finally {
      stop.abort();
      await poll;
      await reader.close();
    }
    const complete = ['count 1000', 'count 1500', 'rows 1000 old', 'rows 1500 new'];
    for (const observed of seen) expect(complete).toContain(observed);
    // The reader ran alongside the swaps, not only before or after them.
    expect(polls).toBeGreaterThanOrEqual(5);
    // Twenty swaps: the target is back to the old table, the shadow holds the new one.
    expect(await session.tableMarker(target)).toBe('old');
    expect(await session.countRows(shadow)).toBe(1500);
    await session.replaceTable(target, shadow, true);
    expect(await session.tableMarker(target)).toBe('new');
    expect(await session.tableMarker(shadow)).toBe('old');
    expect(await session.countRows(shadow)).toBe(1000);
  });
});
