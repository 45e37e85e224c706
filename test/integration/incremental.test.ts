/**
 * incremental_append and incremental_merge end to end on the real Temporal dev server, PostgreSQL
 * and the Snowflake emulator: first run, changes, a no-op run, late rows within the look-back and
 * soft deletes, each compared row by row with the source's expected state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { extractBatch } from '../../src/workflows';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';
import { known } from '../../src/invariant';

const S = 'inc_src';
// Tables whose tests count the rows a look-back re-reads leave late commits to the look-back alone:
// the default would also re-read rows written while another test file's transaction was open.
const lookbackOnly = { lateCommits: 'lookback' };
const harness = new Harness(sharedServices(), {
  sourceSchema: S,
  pipeline: {
    tables: [
      {
        name: `${S}.events`,
        mode: 'incremental_append',
        cursor: 'updated_at',
        lookback: '10 minutes',
        ...lookbackOnly,
      },
      { name: `${S}.serials`, mode: 'incremental_append', cursor: 'id', lookback: 5, ...lookbackOnly },
      {
        name: `${S}.accounts`,
        mode: 'incremental_merge',
        cursor: 'updated_at',
        lookback: '10 minutes',
        softDelete: { column: 'deleted_at', action: 'delete' },
      },
      {
        name: `${S}.flagged`,
        mode: 'incremental_merge',
        cursor: 'version',
        softDelete: { column: 'is_deleted', action: 'flag' },
      },
      { name: `${S}.nokey`, mode: 'incremental_append', cursor: 'seq', lookback: 3, ...lookbackOnly },
      { name: `${S}.pending`, mode: 'incremental_append', cursor: 'seq' },
      { name: `${S}.ledger`, mode: 'incremental_merge', cursor: 'updated_at', primaryKey: ['account_no'] },
      { name: `${S}.misconfigured`, mode: 'incremental_append', cursor: 'nope' },
      { name: `${S}.text_cursor`, mode: 'incremental_append', cursor: 'label' },
      { name: `${S}.keyless_merge`, mode: 'incremental_merge', cursor: 'seq' },
    ],
    settings: { partitionRows: 700, maxParallelPartitions: 3 },
  },
});

async function sql(text: string, values?: unknown[]): Promise<void> {
  await harness.pg.query(text, values);
}

beforeAll(async () => {
  await harness.start();
  await sql(
    `CREATE TABLE ${S}.events (id bigint PRIMARY KEY, updated_at timestamp NOT NULL, payload text, amount ` +
      `numeric(10,2))`,
  );
  await sql(
    `INSERT INTO ${S}.events SELECT g, timestamp '2024-01-01' + g * interval '1 second', 'event ' || g, g ` +
      `/ 4.0 FROM generate_series(1, 2000) g`,
  );
  // What append must hold: every version of every row it has read, once.
  await sql(`CREATE TABLE ${S}.events_expected (LIKE ${S}.events, PRIMARY KEY (id, updated_at))`);
  await sql(`CREATE TABLE ${S}.serials (id bigint PRIMARY KEY, label text)`);
  await sql(`INSERT INTO ${S}.serials SELECT g, 'serial ' || g FROM generate_series(1, 1500) g`);
  await sql(
    `CREATE TABLE ${S}.accounts (id int PRIMARY KEY, name varchar(40) NOT NULL, balance numeric(12,2), ` +
      `updated_at timestamptz NOT NULL, deleted_at timestamptz)`,
  );
  await sql(
    `INSERT INTO ${S}.accounts SELECT g, 'account ' || g, g * 1.25,
            timestamptz '2024-03-01 00:00:00+00' + g * interval '1 second',
            CASE WHEN g % 50 = 0 THEN timestamptz '2024-03-01 00:00:00+00' ELSE NULL END
     FROM generate_series(1, 1800) g`,
  );
  await sql(
    `CREATE TABLE ${S}.flagged (id int PRIMARY KEY, version bigint NOT NULL, is_deleted boolean NOT NULL ` +
      `DEFAULT false, v text)`,
  );
  await sql(`INSERT INTO ${S}.flagged SELECT g, g, false, 'v' || g FROM generate_series(1, 300) g`);
  await sql(`CREATE TABLE ${S}.nokey (seq int NOT NULL, v text)`);
  await sql(`INSERT INTO ${S}.nokey SELECT g, 'v' || g FROM generate_series(1, 400) g`);
  // Rows whose cursor is not set yet: the first run's high-water is NULL.
  await sql(`CREATE TABLE ${S}.pending (id int PRIMARY KEY, seq int, v text)`);
  await sql(`INSERT INTO ${S}.pending SELECT g, NULL, 'pending ' || g FROM generate_series(1, 3) g`);
  // The configured key is not unique in the source: several versions of an account in one batch.
  await sql(
    `CREATE TABLE ${S}.ledger (id int PRIMARY KEY, account_no int NOT NULL, balance numeric(10,2), ` +
      `updated_at timestamp NOT NULL)`,
  );
  await sql(
    `INSERT INTO ${S}.ledger SELECT g, g % 40, g, timestamp '2024-06-01' + g * interval '1 second' FROM ` +
      `generate_series(1, 400) g`,
  );
  for (const table of ['misconfigured', 'text_cursor', 'keyless_merge'])
    await sql(`CREATE TABLE ${S}.${table} (seq int NOT NULL, label text)`);
});
afterAll(() => harness.stop());

/** The rows incremental_append must have appended so far: the union of every version read. */
async function expectAppended(): Promise<number> {
  await sql(`INSERT INTO ${S}.events_expected SELECT * FROM ${S}.events ON CONFLICT DO NOTHING`);
  return harness.expectSameContent('events_expected', 'events');
}

/** Merge with deletes: the target holds the source's rows not marked deleted. */
async function expectMerged(): Promise<number> {
  await sql(`DROP TABLE IF EXISTS ${S}.accounts_expected`);
  await sql(`CREATE TABLE ${S}.accounts_expected AS SELECT * FROM ${S}.accounts WHERE deleted_at IS NULL`);
  return harness.expectSameContent('accounts_expected', 'accounts');
}

async function runTable(table: string) {
  const outcome = await harness.runOk([`${S}.${table}`]);
  const result = known(outcome.result.tables[0], 'the run has one table');
  expect(result).toMatchObject({ source: `${S}.${table}`, status: 'succeeded' });
  return result;
}

/** Rows per partition of the table's last run, from its extract batch workflow. */
async function partitionRows(table: string): Promise<number[]> {
  const id = `conduit/${harness.config.name}/${S}.${table}/partitions-0`;
  const results = await harness.client.workflow.getHandle<typeof extractBatch>(id).result();
  return results.map((p) => p.rows);
}

async function state(table: string): Promise<{ cursor: string | null; marker: string } | undefined> {
  const rows = await harness.snowflake.query<{ cursor: string | null; marker: string }>(
    `SELECT CURSOR_VALUE AS "cursor", RUN_MARKER AS "marker" FROM ` +
      `"${harness.config.destination.database}"."${harness.targetSchema}"."_conduit_state" ` +
      `WHERE TABLE_NAME = ?`,
    [table],
  );
  return rows[0];
}

describe('incremental_append', () => {
  it('first run loads every row and records the cursor with the data', async () => {
    const result = await runTable('events');
    expect(result.rows).toBe(2000);
    expect(await expectAppended()).toBe(2000);
    expect((await state('events'))?.cursor).toBe('2024-01-01 00:33:20');
  });

  it('second run appends new rows and new versions of updated rows, and only those', async () => {
    await sql(
      `INSERT INTO ${S}.events SELECT g, timestamp '2024-01-02' + g * interval '1 second', 'late event ' ` +
        `|| g, g FROM generate_series(2001, 2300) g`,
    );
    await sql(
      `UPDATE ${S}.events SET payload = 'changed', updated_at = timestamp '2024-01-03' + id * interval '1 ` +
        `millisecond' WHERE id % 20 = 0`,
    );
    await runTable('events');
    // 300 new rows and 100 new versions of the first 2,000 (the new rows' first versions were never read).
    expect(await expectAppended()).toBe(2000 + 300 + 100);
  });

  it('a run without source changes appends nothing (the look-back window is re-read, not re-appended)', async () => {
    const before = await state('events');
    await runTable('events');
    expect(await expectAppended()).toBe(2400);
    expect((await state('events'))?.cursor).toBe(before?.cursor);
  });

  it('appends a row that committed late with a cursor inside the look-back window', async () => {
    const high = (await state('events'))?.cursor;
    await sql(`INSERT INTO ${S}.events VALUES (9001, $1::timestamp - interval '5 minutes', 'late by 5 minutes', 1)`, [
      high,
    ]);
    await runTable('events');
    expect(await expectAppended()).toBe(2401);
    const rows = await harness.snowflake.query<{ payload: string }>(
      `SELECT "payload" FROM "${harness.targetSchema}"."events" WHERE "id" = 9001`,
    );
    expect(rows).toEqual([{ payload: 'late by 5 minutes' }]);
  });

  it('uses an integer cursor with a numeric look-back', async () => {
    await runTable('serials');
    expect(await harness.expectSameContent('serials')).toBe(1500);
    await sql(`INSERT INTO ${S}.serials SELECT g, 'serial ' || g FROM generate_series(1501, 1600) g`);
    const result = await runTable('serials');
    // The 100 new ids and the committed one with the 5 before it (the look-back), re-read and not appended again.
    expect(result.rows).toBe(100 + 1 + 5);
    expect(await harness.expectSameContent('serials')).toBe(1600);
    expect((await state('serials'))?.cursor).toBe('1600');
  });

  it("splits a window larger than partitionRows by its own rows' keys: dense, then scattered", async () => {
    // Dense: 2,000 new ids, the committed one and the 5 of the look-back, 1595–3600, split by arithmetic.
    await sql(`INSERT INTO ${S}.serials SELECT g, 'serial ' || g FROM generate_series(1601, 3600) g`);
    const dense = await runTable('serials');
    expect(dense).toMatchObject({ rows: 2006, partitions: 3 });
    expect(await partitionRows('serials')).toEqual([669, 669, 668]);
    expect(await harness.expectSameContent('serials')).toBe(3600);

    // Scattered: new versions of every odd id (1,151 of them, ids up to 9001) and the 115 rows of the
    // look-back: ranked exactly within the window, since a page sample would hold few of them.
    await sql(
      `UPDATE ${S}.events SET payload = 'bulk', updated_at = timestamp '2024-01-05' + id * interval '1 ` +
        `millisecond' WHERE id % 2 = 1`,
    );
    const scattered = await runTable('events');
    expect(scattered).toMatchObject({ rows: 1151 + 115, partitions: 2 });
    expect(await partitionRows('events')).toEqual([633, 633]);
    expect(await expectAppended()).toBe(2401 + 1151);
  });
});

describe('incremental_merge', () => {
  it('first run loads the rows not marked deleted', async () => {
    const result = await runTable('accounts');
    // All rows are read; the 36 marked deleted are left out before the full load is swapped in.
    expect(result.rows).toBe(1800);
    expect(await expectMerged()).toBe(1800 - 36);
  });

  it('second run applies inserts, updates and soft deletes, one row per key', async () => {
    await sql(
      `INSERT INTO ${S}.accounts SELECT g, 'new ' || g, g, timestamptz '2024-03-02 00:00:00+00' + g * ` +
        `interval '1 second', NULL FROM generate_series(1801, 1900) g`,
    );
    await sql(
      `UPDATE ${S}.accounts SET balance = balance + 100, name = 'updated ' || id, updated_at = timestamptz ` +
        `'2024-03-03 00:00:00+00' + id * interval '1 millisecond' WHERE id % 7 = 0`,
    );
    await sql(
      `UPDATE ${S}.accounts SET deleted_at = now(), updated_at = timestamptz '2024-03-04 00:00:00+00' + id ` +
        `* interval '1 millisecond' WHERE id % 11 = 0 AND deleted_at IS NULL`,
    );
    await runTable('accounts');
    expect(await expectMerged()).toBe(1900 - (await deletedCount()));
  });

  it('a run without source changes changes nothing', async () => {
    const before = await state('accounts');
    await runTable('accounts');
    await expectMerged();
    expect((await state('accounts'))?.cursor).toBe(before?.cursor);
  });

  it('merges a late update inside the look-back window', async () => {
    const high = (await state('accounts'))?.cursor;
    await sql(
      `UPDATE ${S}.accounts SET name = 'late update', updated_at = $1::timestamptz - interval '3 minutes' WHERE id = 5`,
      [high],
    );
    await runTable('accounts');
    await expectMerged();
    const rows = await harness.snowflake.query<{ name: string }>(
      `SELECT "name" FROM "${harness.targetSchema}"."accounts" WHERE "id" = 5`,
    );
    expect(rows).toEqual([{ name: 'late update' }]);
  });

  it('keeps soft-deleted rows with their flag when the action is flag', async () => {
    await runTable('flagged');
    await sql(`UPDATE ${S}.flagged SET is_deleted = true, version = 1000 + id WHERE id % 3 = 0`);
    await runTable('flagged');
    expect(await harness.expectSameContent('flagged')).toBe(300);
  });
});

describe('keys', () => {
  it('append without a key identifies rows by all their columns, so the look-back appends nothing twice', async () => {
    await runTable('nokey');
    await sql(`INSERT INTO ${S}.nokey SELECT g, 'v' || g FROM generate_series(401, 450) g`);
    const result = await runTable('nokey');
    expect(result.rows).toBe(50 + 1 + 3);
    expect(await harness.expectSameContent('nokey')).toBe(450);
  });

  it('append re-reads rows without a cursor until one is recorded, and appends none of them twice', async () => {
    await runTable('pending');
    expect((await state('pending'))?.cursor).toBeNull();
    await sql(`INSERT INTO ${S}.pending SELECT g, g, 'set ' || g FROM generate_series(4, 13) g`);
    await sql(`INSERT INTO ${S}.pending VALUES (14, NULL, 'pending 14')`);
    const result = await runTable('pending');
    // No cursor was recorded, so the window also holds every NULL-cursor row: the 3 loaded ones again.
    expect(result.rows).toBe(3 + 10 + 1);
    expect(await harness.expectSameContent('pending')).toBe(14);
    expect((await state('pending'))?.cursor).toBe('13');
  });

  it('merge keeps one row per configured key: the latest cursor of the batch wins', async () => {
    const expected = async () => {
      await sql(`DROP TABLE IF EXISTS ${S}.ledger_expected`);
      await sql(
        `CREATE TABLE ${S}.ledger_expected AS SELECT DISTINCT ON (account_no) * FROM ${S}.ledger ORDER BY ` +
          `account_no, updated_at DESC`,
      );
      return harness.expectSameContent('ledger_expected', 'ledger');
    };
    await runTable('ledger');
    expect(await expected()).toBe(40);
    await sql(
      `INSERT INTO ${S}.ledger SELECT g, g % 40, -g, timestamp '2024-07-01' + g * interval '1 second' FROM ` +
        `generate_series(401, 500) g`,
    );
    await runTable('ledger');
    expect(await expected()).toBe(40);
  });
});

describe('checks against the source', () => {
  it.each([
    ['misconfigured', `cursor column "nope" does not exist in "${S}"."misconfigured"`],
    [
      'text_cursor',
      `cursor column "label" of "${S}"."text_cursor" is text; use an integer, numeric, date or timestamp column`,
    ],
    [
      'keyless_merge',
      `"${S}"."keyless_merge" has no primary key; incremental_merge needs one: set primaryKey in the table's entry`,
    ],
  ])('refuses %s with a clear message before loading anything', async (table, message) => {
    const outcome = await harness.run([`${S}.${table}`]);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain(message);
    const objects = await harness.destinationObjects();
    expect(objects.tables).not.toContain(table);
  });
});

async function deletedCount(): Promise<number> {
  const { rows } = await harness.pg.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${S}.accounts WHERE deleted_at IS NOT NULL`,
  );
  return Number(known(rows[0], 'an aggregate SELECT returns one row').n);
}
