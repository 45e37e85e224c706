/**
 * Incremental runs survive a worker killed at a fault point (CONDUIT_FAULT, SIGKILL): a second
 * worker resumes the run, and the target holds exactly the expected rows with the cursor at the
 * committed batch — nothing lost, nothing applied twice. Uses the compiled CLI worker (dist/).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineRun, waitForRun } from '../../src/client';
import type { TemporalSettings } from '../../src/config/pipeline';
import { CliWorkers, writePipelineFile } from '../support/cli-worker';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

const S = 'incc_src';
const tables = [
  { name: `${S}.crash_append`, mode: 'incremental_append', cursor: 'id' },
  { name: `${S}.crash_merge`, mode: 'incremental_merge', cursor: 'updated_at', lookback: '1 minute' },
  { name: `${S}.crash_first`, mode: 'incremental_append', cursor: 'id' },
];
// A short heartbeat timeout: the killed worker's activity is retried after 10 s, not 30 s.
const harness = new Harness(sharedServices(), {
  sourceSchema: S,
  pipeline: { tables, settings: { partitionRows: 1000, maxParallelPartitions: 3, heartbeatTimeoutSeconds: 10 } },
});
const workers = new CliWorkers();

beforeAll(async () => {
  await harness.start();
  await harness.pg.query(`CREATE TABLE ${S}.crash_append (id bigint PRIMARY KEY, label text)`);
  await harness.pg.query(`INSERT INTO ${S}.crash_append SELECT g, 'row ' || g FROM generate_series(1, 1200) g`);
  await harness.pg.query(`CREATE TABLE ${S}.crash_merge (id int PRIMARY KEY, v text, updated_at timestamp NOT NULL)`);
  await harness.pg.query(
    `INSERT INTO ${S}.crash_merge SELECT g, 'v' || g, timestamp '2024-01-01' + g * interval '1 second' ` +
      `FROM generate_series(1, 1200) g`,
  );
  await harness.pg.query(`CREATE TABLE ${S}.crash_first (id bigint PRIMARY KEY, label text)`);
  await harness.pg.query(`INSERT INTO ${S}.crash_first SELECT g, 'row ' || g FROM generate_series(1, 2500) g`);
});
afterAll(async () => {
  await workers.killAll();
  await harness.stop();
});

interface Pipeline {
  name: string;
  file: string;
  temporal: TemporalSettings;
}

/** A pipeline of its own (own task queue) loading into the harness's target schema. */
function pipeline(): Pipeline {
  const name = `c${randomUUID().slice(0, 8)}`;
  const document = harness.pipelineDocument(name);
  document.destination = { ...(document.destination as Record<string, unknown>), schema: harness.targetSchema };
  return { name, file: writePipelineFile(document), temporal: document.temporal as TemporalSettings };
}

async function runAndCrash(p: Pipeline, table: string, fault: string): Promise<void> {
  const handle = await startPipelineRun(harness.client, p.temporal, { pipeline: p.name, tables: [`${S}.${table}`] });
  const crashing = workers.start(p.file, { ...harness.env, CONDUIT_FAULT: fault });
  expect((await crashing.exited).signal).toBe('SIGKILL');
  const survivor = workers.start(p.file, harness.env);
  const outcome = await waitForRun(handle);
  expect(outcome.ok).toBe(true);
  expect((await survivor.stop()).code).toBe(0);
}

async function committedCursor(table: string): Promise<string | null | undefined> {
  const rows = await harness.snowflake.query<{ cursor: string | null }>(
    `SELECT CURSOR_VALUE AS "cursor" FROM ` +
      `"${harness.config.destination.database}"."${harness.targetSchema}"."_conduit_state" ` +
      `WHERE TABLE_NAME = ?`,
    [table],
  );
  return rows[0]?.cursor;
}

describe('incremental runs killed mid-run', () => {
  it('append: killed after the batch and cursor committed, the resumed run applies nothing twice', async () => {
    const p = pipeline();
    await harness.runOk([`${S}.crash_append`]);
    await harness.pg.query(`INSERT INTO ${S}.crash_append SELECT g, 'row ' || g FROM generate_series(1201, 1700) g`);
    await runAndCrash(p, 'crash_append', 'commit.after');
    expect(await harness.expectSameContent('crash_append')).toBe(1700);
    expect(await committedCursor('crash_append')).toBe('1700');
  });

  it('merge: killed after COPY into the staging table, before the commit; the resumed run commits once', async () => {
    const p = pipeline();
    await harness.runOk([`${S}.crash_merge`]);
    await harness.pg.query(
      `UPDATE ${S}.crash_merge SET v = 'changed', updated_at = timestamp '2024-02-01' + id * interval '1 ` +
        `second' WHERE id % 3 = 0`,
    );
    await harness.pg.query(
      `INSERT INTO ${S}.crash_merge SELECT g, 'new', timestamp '2024-02-02' + g * interval '1 second' FROM ` +
        `generate_series(1201, 1300) g`,
    );
    await runAndCrash(p, 'crash_merge', 'load.after-copy');
    expect(await harness.expectSameContent('crash_merge')).toBe(1300);
    expect(await committedCursor('crash_merge')).toBe('2024-02-02 00:21:40');
  });

  it('first run: killed after the full load swap, before the cursor is recorded; the resume records it', async () => {
    const p = pipeline();
    await runAndCrash(p, 'crash_first', 'swap.after');
    expect(await harness.expectSameContent('crash_first')).toBe(2500);
    expect(await committedCursor('crash_first')).toBe('2500');
    await harness.pg.query(`INSERT INTO ${S}.crash_first SELECT g, 'row ' || g FROM generate_series(2501, 2600) g`);
    await harness.runOk([`${S}.crash_first`]);
    expect(await harness.expectSameContent('crash_first')).toBe(2600);
  });
});
