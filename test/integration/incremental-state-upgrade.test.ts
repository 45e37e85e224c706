/**
 * `_conduit_state` tables written before SNAPSHOT_XMIN existed keep working: the column is added,
 * a row without it reads by cursor alone, and that very run records the snapshot that protects the
 * next one. A recorded transaction ID the source has not reached (another server) is refused.
 */
import { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

const S = 'upg_src';
const harness = new Harness(sharedServices(), {
  sourceSchema: S,
  pipeline: {
    tables: [{ name: `${S}.events`, mode: 'incremental_merge', cursor: 'at' }],
    settings: { partitionRows: 1000, maxParallelPartitions: 3 },
  },
});
let writer: PgClient | undefined;

beforeAll(async () => {
  await harness.start();
  await harness.pg.query(`CREATE TABLE ${S}.events (id int PRIMARY KEY, at timestamp NOT NULL, v text)`);
  await harness.pg.query(
    `INSERT INTO ${S}.events SELECT g, timestamp '2026-12-01' + g * interval '1 second', 'row ' || g ` +
      `FROM generate_series(1, 50) g`,
  );
});
afterAll(async () => {
  await writer?.end().catch(() => undefined);
  await harness.stop();
});

const stateTable = () => `"${harness.config.destination.database}"."${harness.targetSchema}"."_conduit_state"`;

async function recordedXmin(): Promise<string | null | undefined> {
  const rows = await harness.snowflake.query<{ xmin: string | null }>(
    `SELECT SNAPSHOT_XMIN AS "xmin" FROM ${stateTable()} WHERE TABLE_NAME = 'events'`,
  );
  return rows[0]?.xmin;
}

describe('a state table from an older worker', () => {
  it('gains SNAPSHOT_XMIN; its first run reads by cursor and protects the next one', async () => {
    await harness.runOk();
    expect(await recordedXmin()).toMatch(/^\d+$/);
    // The shape an older worker made: no SNAPSHOT_XMIN.
    await harness.snowflake.query(`ALTER TABLE ${stateTable()} DROP COLUMN SNAPSHOT_XMIN`);

    const { host, port, user, password, database } = harness.services.postgres;
    writer = new PgClient({ host, port, user, password, database });
    await writer.connect();
    await writer.query('BEGIN');
    await writer.query(`INSERT INTO ${S}.events VALUES (1001, timestamp '2026-11-30', 'late, old cursor')`);
    await harness.pg.query(`INSERT INTO ${S}.events VALUES (51, timestamp '2026-12-02', 'committed')`);
    await harness.runOk();
    expect(await recordedXmin()).toMatch(/^\d+$/);
    await writer.query('COMMIT');
    await harness.runOk();
    expect(await harness.expectSameContent('events')).toBe(52);
  });

  it('refuses a recorded transaction ID beyond the source: another server, reload whole', async () => {
    await harness.snowflake.query(
      `UPDATE ${stateTable()} SET SNAPSHOT_XMIN = '900000000000000' WHERE TABLE_NAME = 'events'`,
    );
    const outcome = await harness.run();
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain(
      'the committed state records source transaction 900000000000000, but the source is only at',
    );
    expect(outcome.message).toContain(`--full-refresh ${S}.events`);
    expect(await harness.expectSameContent('events')).toBe(52);
  });
});
