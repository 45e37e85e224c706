/**
 * A snapshot holder that fails before it exports (its connection dropped, its worker died) costs the
 * table one snapshot generation, after a pause, not the run; one refused for good fails the table at
 * once. The real workflows run against scripted holders, so each case fails exactly where it says
 * (with real PostgreSQL the window between BEGIN and pg_export_snapshot() is too short to aim at).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineWorkflowId, startPipelineRun, waitForRun } from '../../src/client';
import { applyServiceEnv } from '../support/context';
import { sharedServices } from '../support/services';
import { snapshotHolders } from '../support/snapshots';
import { StubWorker } from '../support/stub-worker';

applyServiceEnv();
const services = sharedServices();
const stub = new StubWorker(services.temporalAddress, services.temporalNamespace);

beforeAll(() => stub.start());
afterAll(() => stub.stop());

async function run(holderFailures: ('transient' | 'permanent')[]) {
  stub.holders = 0;
  stub.script = {
    tables: ['app.orders'],
    bounds: ['100', '200'],
    rowsPerPartition: 100,
    snapshot: 'consistent',
    holderFailures,
  };
  const handle = await startPipelineRun(stub.client, stub.temporal, { pipeline: stub.pipeline });
  const outcome = await waitForRun(handle);
  const tableWorkflowId = `${pipelineWorkflowId(stub.pipeline)}/app.orders`;
  const history = await stub.client.workflow.getHandle(tableWorkflowId).fetchHistory();
  const pauses = (history.events ?? []).flatMap((e) => {
    const timeout = e.timerStartedEventAttributes?.startToFireTimeout;
    return timeout ? [Number(timeout.seconds ?? 0)] : [];
  });
  return { outcome, holders: await snapshotHolders(stub.client, tableWorkflowId), pauses };
}

describe('a snapshot holder failing before it exports', () => {
  it('transiently: the table tries a new snapshot after 1 s, then 2 s, and loads every partition once', async () => {
    const { outcome, holders, pauses } = await run(['transient', 'transient']);
    if (!outcome.ok) throw new Error(outcome.message);
    expect(outcome.result.tables[0]).toMatchObject({ status: 'succeeded', partitions: 3, rows: 300 });
    expect(holders).toBe(3);
    expect(pauses).toEqual([1, 2]);
  });

  it('transiently five times: the table fails, saying what to check, with the last cause', async () => {
    const { outcome, holders, pauses } = await run(Array<'transient'>(5).fill('transient'));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain(
      "the shared snapshot of app.orders was lost 5 times; check what ends the holder's transaction",
    );
    expect(outcome.message).toContain('Connection terminated unexpectedly');
    expect(holders).toBe(5);
    expect(pauses).toEqual([1, 2, 4, 8]);
  }, 60_000);

  it('for good: the table fails at once, naming the export and the refusal', async () => {
    const { outcome, holders, pauses } = await run(['permanent']);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain(
      'exporting a snapshot of app.orders: permission denied for function pg_export_snapshot',
    );
    expect(holders).toBe(1);
    expect(pauses).toEqual([]);
  });
});
