/**
 * The worker holding a table's shared snapshot dies (SIGKILL of a `conduit worker` process in the
 * middle of the extraction): its PostgreSQL session ends with it, and so does the snapshot. A
 * replacement worker picks the run up; the first extract retried there finds the snapshot gone, the
 * table establishes a new one and reads every partition again: the destination holds exactly the
 * table as of the second snapshot, with nothing from before or after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineRun, waitForRun } from '../../src/client';
import { parsePipeline } from '../../src/config/load';
import { createConduitWorker } from '../../src/worker';
import { CliWorkers, writePipelineFile } from '../support/cli-worker';
import { Harness, workflowBundle } from '../support/harness';
import { changeAfterSecondSnapshotAndCheck, snapshotHolderPid } from '../support/snapshots';
import { sharedServices } from '../support/services';
import { eventually } from '../support/stub-worker';

const S = 'snapcrash_src';
const harness = new Harness(sharedServices(), { sourceSchema: S });
const workers = new CliWorkers();

beforeAll(async () => {
  await harness.start();
  await harness.pg.query(`CREATE TABLE ${S}.t (id bigint PRIMARY KEY, v text)`);
  await harness.pg.query(`INSERT INTO ${S}.t SELECT g, 'v' || g FROM generate_series(1, 60000) g`);
});
afterAll(async () => {
  await workers.killAll();
  await harness.stop();
});

const holderPid = (not?: number) => snapshotHolderPid(harness.pg, `${S}.t`, not);

describe('consistent snapshot, holder worker killed', () => {
  it('re-establishes the snapshot on another worker and loads exactly the second snapshot', async () => {
    // The harness's pipeline on a task queue of its own: only the workers started here serve it.
    const base = harness.pipelineDocument(harness.config.name);
    const temporal = base.temporal as Record<string, unknown>;
    const document = {
      ...base,
      temporal: { ...temporal, taskQueue: `${String(temporal.taskQueue)}-crash` },
      tables: [{ name: `${S}.t`, maxParallelPartitions: 1, snapshot: 'consistent' }],
    };
    const file = writePipelineFile(document);
    const config = parsePipeline(document, file, { env: harness.env });

    const holder = workers.start(file, { ...harness.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
    await holder.ready();

    const handle = await startPipelineRun(harness.client, config.temporal, { pipeline: config.name });
    const outcome = waitForRun(handle);
    const first = await eventually(() => holderPid(), 60_000, 'the first snapshot holder');
    holder.child.kill('SIGKILL');
    await harness.pg.query(`UPDATE ${S}.t SET v = 'after first' WHERE id % 3 = 0`);
    await harness.pg.query(`DELETE FROM ${S}.t WHERE id % 7 = 0`);

    const replacement = await createConduitWorker({ pipelines: [config], workflowBundle: await workflowBundle() });
    const running = replacement.worker.run();
    try {
      // The dead worker's extract times out (30 s heartbeat timeout); its retry finds the snapshot gone.
      const second = await eventually(() => holderPid(first), 150_000, 'a second snapshot holder');
      expect(second).not.toBe(first);
      await changeAfterSecondSnapshotAndCheck(
        harness,
        { outcome, tableWorkflowId: `${handle.workflowId}/${S}.t` },
        { schema: S, name: 't', firstNewId: 100001, rows: 60000 - Math.floor(60000 / 7), partitions: 60 },
      );
    } finally {
      replacement.worker.shutdown();
      await running;
      await replacement.close();
    }
  }, 300_000);
});
