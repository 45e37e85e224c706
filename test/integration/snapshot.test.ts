/**
 * Consistent snapshots (settings.snapshot): every partition of a table reads one exported snapshot,
 * so changes made while a run extracts never reach the destination, and losing the snapshot's
 * holder makes the table establish a new snapshot and read ALL partitions again. The last test
 * measures why page-range (ctid) partitioning needs it: per-partition snapshots read a row twice.
 */

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineRun, waitForRun } from '../../src/client';
import { connectPostgres } from '../../src/connectors/postgres/connect';
import { extractStatement, extractToFile } from '../../src/connectors/postgres/extract';
import { planPartitions } from '../../src/connectors/postgres/partitioning';
import { exportSnapshot } from '../../src/connectors/postgres/snapshot';
import { partitionRanges, type ColumnPlan } from '../../src/shared';
import { Harness } from '../support/harness';
import {
  changeAfterSecondSnapshotAndCheck,
  freezeTable,
  snapshotHolderPid,
  snapshotHolders,
} from '../support/snapshots';
import { sharedServices } from '../support/services';
import { eventually } from '../support/stub-worker';
import { scratchDir } from '../support/scratch';
import { known } from '../../src/invariant';
import { settled } from '../../src/promises';
import { snowflakeCapabilities } from '../../src/connectors/snowflake/capabilities';

const SNOWFLAKE_LIMITS = snowflakeCapabilities.limits;

const S = 'snap_src';
const harness = new Harness(sharedServices(), {
  sourceSchema: S,
  pipeline: {
    // One partition at a time, so the changes below land while most partitions are still unread.
    tables: [
      { name: `${S}.nokey`, maxParallelPartitions: 1 },
      { name: `${S}.keyed`, maxParallelPartitions: 1, snapshot: 'consistent' },
    ],
    settings: { partitionRows: 1000 },
  },
});

beforeAll(async () => {
  await harness.start();
  // Planning checks every table the pipeline names.
  await harness.pg.query(`CREATE TABLE ${S}.nokey (n integer, label text)`);
  await harness.pg.query(`CREATE TABLE ${S}.keyed (id bigint PRIMARY KEY, v text)`);
});
afterAll(() => harness.stop());

function holderPid(table: string, not?: number): Promise<number | undefined> {
  return snapshotHolderPid(harness.pg, `${S}.${table}`, not);
}

async function startRun(table: string) {
  const handle = await startPipelineRun(harness.client, harness.config.temporal, {
    pipeline: harness.config.name,
    tables: [`${S}.${table}`],
  });
  return { handle, outcome: waitForRun(handle) };
}

/** Partitions extracted so far, from the table's extract batch workflow. */
async function partitionsDone(table: string): Promise<number> {
  const batch = harness.client.workflow.getHandle(`conduit/${harness.config.name}/${S}.${table}/partitions-0`);
  return (await batch.query<{ partitionsDone: number }>('progress')).partitionsDone;
}

/** Freezes the table as `<table>_expected`: what a run under a snapshot taken now must load. */
function freeze(table: string): Promise<void> {
  return freezeTable(harness.pg, S, table);
}

describe('consistent snapshot', () => {
  it('is the default for page-range partitions: updates, inserts, deletes mid-run do not reach the load', async () => {
    await harness.pg.query(`INSERT INTO ${S}.nokey SELECT g, 'row ' || g FROM generate_series(1, 20000) g`);
    const { outcome } = await startRun('nokey');
    await eventually(() => holderPid('nokey'), 60_000, 'the snapshot holder');
    await freeze('nokey');
    // UPDATE writes new row versions at the end of the table: into partitions not read yet.
    await harness.pg.query(`UPDATE ${S}.nokey SET label = 'changed' WHERE n <= 3000`);
    await harness.pg.query(`DELETE FROM ${S}.nokey WHERE n % 10 = 0`);
    await harness.pg.query(`INSERT INTO ${S}.nokey SELECT g, 'new' FROM generate_series(30001, 31000) g`);
    const doneAtChange = await partitionsDone('nokey');

    const result = await outcome;
    if (!result.ok) throw new Error(result.message);
    const table = known(result.result.tables[0], 'the run has one table');
    expect(table.partitions).toBeGreaterThan(10);
    expect(doneAtChange).toBeLessThan(table.partitions);
    expect(table.rows).toBe(20000);
    expect(await harness.expectSameContent('nokey_expected', 'nokey')).toBe(20000);
    // The holder's transaction ends with the extraction.
    await eventually(
      async () => ((await holderPid('nokey')) === undefined ? true : undefined),
      30_000,
      'the holder to end',
    );
  });

  it('re-establishes a lost snapshot and re-reads every partition: the load is one consistent state', async () => {
    await harness.pg.query(`INSERT INTO ${S}.keyed SELECT g, 'v' || g FROM generate_series(1, 20000) g`);
    const { handle, outcome } = await startRun('keyed');
    const first = await eventually(() => holderPid('keyed'), 60_000, 'the first snapshot holder');
    // Changes after the first snapshot, then the holder dies (as in a worker crash or a restart).
    await harness.pg.query(`UPDATE ${S}.keyed SET v = 'after first' WHERE id % 3 = 0`);
    await harness.pg.query(`DELETE FROM ${S}.keyed WHERE id % 7 = 0`);
    await harness.pg.query(`SELECT pg_terminate_backend($1)`, [first]);
    const second = await eventually(
      async () =>
        (await holderPid('keyed', first)) ??
        (await Promise.race([
          outcome.then(() => -1),
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)),
        ])),
      120_000,
      'a second snapshot holder',
    );
    expect(second, 'the run ended before a partition noticed the lost snapshot').toBeGreaterThan(0);
    // Two holders in the table's history; the second generation read all 20 partitions.
    await changeAfterSecondSnapshotAndCheck(
      harness,
      { outcome, tableWorkflowId: `${handle.workflowId}/${S}.keyed` },
      { schema: S, name: 'keyed', firstNewId: 50001, rows: 20000 - Math.floor(20000 / 7), partitions: 20 },
    );
    expect(await partitionsDone('keyed')).toBe(20);
  });

  it('gives up after five lost snapshots, saying what to check, and leaves the target as it was', async () => {
    // Runs after the test above: `keyed` is loaded, and its target equals `keyed_expected`.
    const { handle, outcome } = await startRun('keyed');
    const ended = settled(outcome);
    let last = 0;
    while (!ended()) {
      const pid = await holderPid('keyed', last);
      if (pid !== undefined) {
        await harness.pg.query(`SELECT pg_terminate_backend($1)`, [pid]);
        last = pid;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const result = await outcome;
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain(
      `the shared snapshot of ${S}.keyed was lost 5 times; check what ends the holder's transaction`,
    );
    expect(await snapshotHolders(harness.client, `${handle.workflowId}/${S}.keyed`)).toBe(5);
    expect(await harness.expectSameContent('keyed_expected', 'keyed')).toBe(20000 - Math.floor(20000 / 7));
  });

  it('measured: without a shared snapshot, an UPDATE between two page-range partitions reads a row twice', async () => {
    await harness.pg.query(`CREATE TABLE ${S}.pages (n integer, label text)`);
    await harness.pg.query(`INSERT INTO ${S}.pages SELECT g, 'row ' || g FROM generate_series(1, 2000) g`);
    const columns: ColumnPlan[] = [
      {
        source: 'n',
        target: 'n',
        sourceType: 'integer',
        sourceTypname: 'int4',
        type: { kind: 'integer', bytes: 4 },
        nullable: true,
      },
      {
        source: 'label',
        target: 'label',
        sourceType: 'text',
        sourceTypname: 'text',
        type: { kind: 'text' },
        nullable: true,
      },
    ];
    const table = { schema: S, name: 'pages' };
    const plan = await planPartitions(harness.pg, table, undefined, 1000);
    const [low, high] = partitionRanges(plan.partitioning);
    expect(partitionRanges(plan.partitioning)).toHaveLength(2);
    if (!high) throw new Error('expected two partitions');
    const dir = scratchDir('snap');
    const source = harness.config.source;

    const readBoth = async (shared: boolean): Promise<number> => {
      const holder = await connectPostgres(source);
      const reader = await connectPostgres(source);
      try {
        const id = shared ? await exportSnapshot(holder) : undefined;
        const a = await extractToFile(
          reader,
          extractStatement(table, columns, low, SNOWFLAKE_LIMITS),
          join(dir, 'a.gz'),
          'gzip',
          () => undefined,
          id,
        );
        // Moves the first rows' new versions to the end of the table: into the second partition.
        await harness.pg.query(`UPDATE ${S}.pages SET label = label || '!' WHERE n <= 100`);
        const b = await extractToFile(
          reader,
          extractStatement(table, columns, high, SNOWFLAKE_LIMITS),
          join(dir, 'b.gz'),
          'gzip',
          () => undefined,
          id,
        );
        return a.rows + b.rows;
      } finally {
        await holder.end();
        await reader.end();
      }
    };
    expect(await readBoth(false)).toBe(2100);
    expect(await readBoth(true)).toBe(2000);
  });
});
