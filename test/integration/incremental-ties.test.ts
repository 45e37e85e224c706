/**
 * Cursor ties: rows whose cursor equals the committed cursor and that appear after the run that
 * committed it. Date, timestamp, integer and numeric cursors, append and merge, no look-back. Every
 * target is compared row by row with what it must hold after the second run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

const S = 'tie_src';

interface TieCase {
  table: string;
  mode: 'incremental_append' | 'incremental_merge';
  type: string;
  /** A cursor value below the tie, and the tie: the committed high-water of the first run. */
  before: string;
  tie: string;
}

const kinds: Omit<TieCase, 'table' | 'mode'>[] = [
  { type: 'date', before: '2026-11-30', tie: '2026-12-01' },
  { type: 'timestamp', before: '2026-12-01 09:59:59', tie: '2026-12-01 10:00:00' },
  { type: 'bigint', before: '41', tie: '42' },
  { type: 'numeric(12,3)', before: '7.125', tie: '7.250' },
];
const cases: TieCase[] = kinds.flatMap((kind) =>
  (['incremental_append', 'incremental_merge'] as const).map((mode) => ({
    ...kind,
    mode,
    table: `${mode === 'incremental_append' ? 'a' : 'm'}_${kind.type.replace(/\(.*/, '')}`,
  })),
);

const harness = new Harness(sharedServices(), {
  sourceSchema: S,
  pipeline: {
    tables: cases.map((c) => ({ name: `${S}.${c.table}`, mode: c.mode, cursor: 'c' })),
    settings: { partitionRows: 1000, maxParallelPartitions: 3 },
  },
});

async function sql(text: string, values?: unknown[]): Promise<void> {
  await harness.pg.query(text, values);
}

beforeAll(async () => {
  await harness.start();
  for (const c of cases) {
    await sql(`CREATE TABLE ${S}.${c.table} (id int PRIMARY KEY, c ${c.type} NOT NULL, v text)`);
    await sql(`INSERT INTO ${S}.${c.table} VALUES (1, $1, 'before'), (2, $2, 'tie 2'), (3, $2, 'tie 3')`, [
      c.before,
      c.tie,
    ]);
    // What an append target must hold: every version read (key and cursor identify one).
    if (c.mode === 'incremental_append')
      await sql(`CREATE TABLE ${S}.${c.table}_expected (LIKE ${S}.${c.table}, PRIMARY KEY (id, c))`);
  }
});
afterAll(() => harness.stop());

async function expected(c: TieCase): Promise<string> {
  if (c.mode === 'incremental_merge') return c.table;
  await sql(`INSERT INTO ${S}.${c.table}_expected SELECT * FROM ${S}.${c.table} ON CONFLICT DO NOTHING`);
  return `${c.table}_expected`;
}

async function committedCursors(): Promise<Map<string, string | null>> {
  const rows = await harness.snowflake.query<{ table: string; cursor: string | null }>(
    `SELECT TABLE_NAME AS "table", CURSOR_VALUE AS "cursor" ` +
      `FROM "${harness.config.destination.database}"."${harness.targetSchema}"."_conduit_state"`,
  );
  return new Map(rows.map((r) => [r.table, r.cursor]));
}

describe('rows tied with the committed cursor arrive in the next run', () => {
  beforeAll(async () => {
    await harness.runOk(cases.map((c) => `${S}.${c.table}`));
    const cursors = await committedCursors();
    for (const c of cases) {
      await harness.expectSameContent(await expected(c), c.table);
      // The first run committed the tie value itself: later rows with it are "at", not "above", the cursor.
      expect(cursors.get(c.table)).toMatch(new RegExp(`^${c.tie.replace('.', '\\.')}`));
      await sql(`INSERT INTO ${S}.${c.table} VALUES (4, $1, 'tie 4, after the run'), (5, $1, 'tie 5, after the run')`, [
        c.tie,
      ]);
      // An update that lands on the tie value: a new version for append, a changed row for merge.
      await sql(`UPDATE ${S}.${c.table} SET c = $1, v = 'updated onto the tie' WHERE id = 1`, [c.tie]);
    }
    await harness.runOk(cases.map((c) => `${S}.${c.table}`));
  });

  it.each(cases)('$mode with a $type cursor', async (c) => {
    const rows = await harness.expectSameContent(await expected(c), c.table);
    expect(rows).toBe(c.mode === 'incremental_merge' ? 5 : 6);
  });

  it('a third run without changes re-reads the tie rows and lands none of them twice', async () => {
    await harness.runOk(cases.map((c) => `${S}.${c.table}`));
    for (const c of cases) await harness.expectSameContent(await expected(c), c.table);
  });
});
