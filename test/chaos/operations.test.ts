/**
 * Chaos, operations: what operators and source owners do to a run in flight. A worker stopped with
 * SIGTERM, the run cancelled, the pipeline triggered twice at once, the source table dropped or
 * altered. Each ends as docs/reliability.md says: completed exactly, or failed/cancelled naming
 * the cause with the target untouched; and in every case nothing of the run is left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, pipelineWorkflowId, startPipelineRun, waitForRun } from '../../src/client';
import { ChaosRig, FULL_CHAOS } from '../support/chaos-rig';
import { SnowflakeTarget } from '../support/chaos-targets';
import { applyServiceEnv } from '../support/context';
import { sharedServices } from '../support/services';
import { eventually } from '../support/stub-worker';

applyServiceEnv();
const rig = new ChaosRig(sharedServices(), 'chaos_ops');
// One partition at a time, small ones: the extract stage lasts long enough to act in it.
const slow = new ChaosRig(sharedServices(), 'chaos_ops_slow', { partitionRows: 10_000, maxParallelPartitions: 1 });
/** The slow rig's Snowflake target, read for the marker of the run that last replaced a table. */
const slowTarget = new SnowflakeTarget(slow.harness);

beforeAll(async () => {
  await rig.start();
  await slow.start();
});
afterAll(async () => {
  await rig.stop();
  await slow.stop();
});

describe('operations on a run in flight', () => {
  it.runIf(FULL_CHAOS)(
    'a worker stopped with SIGTERM mid-extract finishes its in-flight work and exits 0; a new worker ' +
      'completes the run exactly',
    async () => {
      await rig.runCase('worker SIGTERM mid-extract (graceful)', 'complete', async (finish) => {
        await rig.createTable('sigterm');
        const first = await rig.startWorker({ args: ['--shutdown-grace', '60'] });
        const handle = await rig.startRun(['sigterm']);
        await rig.waitForTable(handle, ['extracting']);
        const faultAt = Date.now();
        const exit = await first.stop();
        expect(exit.code).toBe(0);
        expect(first.output()).toContain('SIGTERM: finishing in-flight work, then exiting');
        const second = await rig.startWorker();
        const outcome = await waitForRun(handle);
        await finish('sigterm', {
          ok: outcome.ok,
          recoverySeconds: (Date.now() - faultAt) / 1000,
          detail: outcome.ok ? undefined : outcome.message,
        });
        expect((await second.stop()).code).toBe(0);
      });
    },
    300_000,
  );

  it('a run cancelled by the operator mid-extract leaves the target untouched and cleans up', async () => {
    await slow.runCase('operator cancels mid-extract', 'cancel', async (finish) => {
      await slow.createTable('cancelled');
      const worker = await slow.startWorker();
      expect((await waitForRun(await slow.startRun(['cancelled']))).ok).toBe(true);
      const marker = await slowTarget.marker('cancelled');

      const handle = await slow.startRun(['cancelled']);
      await slow.waitForTable(handle, ['extracting']);
      await handle.cancel();
      const outcome = await waitForRun(handle).catch((error: unknown) => ({
        ok: false as const,
        message: String(error),
      }));
      expect(outcome.ok).toBe(false);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      const untouched = (await slowTarget.marker('cancelled')) === marker;
      await finish('cancelled', { ok: untouched, detail: untouched ? undefined : 'the target was replaced' });
      expect((await worker.stop()).code).toBe(0);
    });
  }, 300_000);

  it('one pipeline triggered twice at once (and again mid-run) makes one run and one copy of the rows', async () => {
    await rig.runCase('same pipeline triggered twice at once', 'complete', async (finish) => {
      await rig.createTable('twice');
      const worker = await rig.startWorker();
      const { config } = rig.harness;
      const input = { pipeline: config.name, tables: [`${rig.schema}.twice`] };
      // Two operators: two clients, two connections, the same moment.
      const clients = await Promise.all([connectClient(config.temporal), connectClient(config.temporal)]);
      const runsOfPipeline = async () => {
        const found = [];
        for await (const run of rig.harness.client.workflow.list({
          query: `WorkflowId = '${pipelineWorkflowId(config.name)}'`,
        }))
          found.push(run);
        return found;
      };
      // Earlier cases ran this pipeline too.
      const earlier = new Set((await runsOfPipeline()).map((r) => r.runId));
      try {
        const [a, b] = await Promise.all([
          startPipelineRun(clients[0], config.temporal, input),
          startPipelineRun(clients[1], config.temporal, input),
        ]);
        expect(b.firstExecutionRunId).toBe(a.firstExecutionRunId);
        await rig.waitForTable(a, ['extracting', 'loading', 'verifying', 'swapping', 'cleaning', 'succeeded']);
        const late = await startPipelineRun(clients[0], config.temporal, input);
        expect(late.firstExecutionRunId).toBe(a.firstExecutionRunId);
        const outcome = await waitForRun(a);
        const runs = await eventually(
          async () => {
            const found = (await runsOfPipeline()).filter((r) => !earlier.has(r.runId));
            return found.length > 0 && found.every((r) => r.status.name === 'COMPLETED') ? found : undefined;
          },
          30_000,
          'the run to be listed as completed',
        );
        expect(runs.map((r) => r.runId)).toEqual([a.firstExecutionRunId]);
        await finish('twice', {
          ok: outcome.ok && runs.length === 1,
          detail: outcome.ok ? undefined : outcome.message,
        });
      } finally {
        await Promise.all(clients.map((client) => client.connection.close()));
      }
      expect((await worker.stop()).code).toBe(0);
    });
  }, 300_000);

  it.runIf(FULL_CHAOS)(
    'the source table dropped mid-run fails the run at once, naming the table, with the target untouched',
    async () => {
      // A permanent error: reported on the first attempt, not after a round of retries.
      await failsWhenChangedMidRun('source table dropped mid-run', 'dropped', (name) => `DROP TABLE ${name}`, [
        'source table does not exist while extracting partition',
        `${slow.schema}.dropped`,
      ]);
    },
    300_000,
  );

  it.runIf(FULL_CHAOS)(
    'a column dropped from the source mid-run fails the run, naming the column, with the target untouched',
    async () => {
      await failsWhenChangedMidRun(
        'source column dropped mid-run',
        'narrowed',
        (name) => `ALTER TABLE ${name} DROP COLUMN note`,
        ['source column does not exist', '"note"'],
      );
    },
    300_000,
  );

  it.runIf(FULL_CHAOS)(
    'a column added to the source mid-run is not part of this run (columns are fixed when the table is ' +
      'prepared); the run completes exactly',
    async () => {
      await slow.runCase('source column added mid-run', 'complete', async (finish) => {
        await slow.createTable('widened');
        await slow.harness.pg.query(
          `CREATE TABLE ${slow.schema}.widened_before AS SELECT * FROM ${slow.schema}.widened`,
        );
        const worker = await slow.startWorker();
        const handle = await slow.startRun(['widened']);
        await slow.waitForTable(handle, ['extracting']);
        await slow.harness.pg.query(`ALTER TABLE ${slow.schema}.widened ADD COLUMN extra text`);
        const outcome = await waitForRun(handle);
        await finish(
          { source: 'widened_before', target: 'widened' },
          { ok: outcome.ok, detail: outcome.ok ? undefined : outcome.message },
        );
        // The next run carries the new column.
        expect((await waitForRun(await slow.startRun(['widened']))).ok).toBe(true);
        await slow.harness.expectSameContent('widened');
        expect((await worker.stop()).code).toBe(0);
      });
    },
    300_000,
  );
});

/**
 * Loads `table` once, then changes its source with `change` while the next run extracts: that run
 * must fail with a message containing `expected`, leaving the target as the first run made it.
 */
async function failsWhenChangedMidRun(
  name: string,
  table: string,
  change: (qualified: string) => string,
  expected: string[],
): Promise<void> {
  const qualified = `${slow.schema}.${table}`;
  await slow.runCase(name, 'fail', async (finish) => {
    await slow.createTable(table);
    const worker = await slow.startWorker();
    expect((await waitForRun(await slow.startRun([table]))).ok).toBe(true);
    const marker = await slowTarget.marker(table);
    // What the target must still hold once the source has changed.
    await slow.harness.pg.query(`CREATE TABLE ${qualified}_before AS SELECT * FROM ${qualified}`);

    const handle = await slow.startRun([table]);
    await slow.waitForTable(handle, ['extracting']);
    await slow.harness.pg.query(change(qualified));
    const outcome = await waitForRun(handle);
    expect(outcome.ok).toBe(false);
    const message = outcome.ok ? '' : outcome.message;
    for (const part of expected) expect(message).toContain(part);
    const untouched = (await slowTarget.marker(table)) === marker;
    await finish({ source: `${table}_before`, target: table }, { ok: untouched, detail: message.slice(0, 200) });
    expect((await worker.stop()).code).toBe(0);
  });
}
