/**
 * Chaos, infrastructure: the services a run depends on fail under it. PostgreSQL restarts
 * mid-extract, the Snowflake endpoint drops every connection and refuses new ones (a TCP proxy
 * between the worker and the emulator), the Temporal server restarts (its own dev server with a
 * file-backed database). Each run must complete with the target equal to the source row by row
 * and nothing of the run left behind. Each case brings its own instance of the service it breaks.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForRun, type RunOutcome } from '../../src/client';
import { startPostgres } from '../../src/dev/postgres';
import { startTemporalDevServer } from '../../src/dev/temporal';
import { ChaosRig, FULL_CHAOS } from '../support/chaos-rig';
import { applyServiceEnv } from '../support/context';
import type { CliWorker } from '../support/cli-worker';
import type { HarnessServices } from '../support/harness';
import { sharedServices } from '../support/services';
import { sleep } from '../support/stub-worker';
import { TcpProxy } from '../support/tcp-proxy';
import { scratchDir } from '../support/scratch';

applyServiceEnv();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function rigWith(services: HarnessServices, schema: string): Promise<ChaosRig> {
  const rig = new ChaosRig(services, schema);
  cleanups.push(() => rig.stop());
  await rig.start();
  return rig;
}

describe('infrastructure faults mid-run', () => {
  it.runIf(FULL_CHAOS)(
    'PostgreSQL restarts mid-extract: the run completes exactly',
    async () => {
      const postgres = await startPostgres();
      cleanups.push(() => postgres.stop());
      const rig = await rigWith({ ...sharedServices(), postgres }, 'chaos_pg');
      await rig.runCase('PostgreSQL restart mid-extract', 'complete', async (finish) => {
        const { worker, handle } = await extracting(rig);
        const faultAt = Date.now();
        await postgres.restart(3_000);
        await rig.harness.connectSource();
        const outcome = await waitForRun(handle);
        // The restart cut the worker's sessions; it must have survived that, not been restarted.
        expect(worker.child.exitCode).toBeNull();
        await finish('orders', measured(outcome, faultAt));
      });
    },
    300_000,
  );

  it('Snowflake drops all connections and is down a while, mid-extract and mid-load: the run is exact', async () => {
    const shared = sharedServices();
    const proxy = new TcpProxy(shared.snowflake);
    const endpoint = await proxy.start();
    cleanups.push(() => proxy.stop());
    const rig = await rigWith({ ...shared, snowflake: { ...shared.snowflake, ...endpoint } }, 'chaos_sf');
    await rig.runCase(
      'Snowflake endpoint drops connections, down 3 s, mid-extract and mid-load',
      'complete',
      async (finish) => {
        const { handle } = await extracting(rig);
        const faultAt = Date.now();
        await proxy.outage(3_000);
        await rig.waitForTable(handle, ['loading', 'verifying', 'swapping', 'cleaning', 'succeeded']);
        // Connections cut while the load logs in and runs its COPY, then the endpoint is down again.
        for (let i = 0; i < 10; i++) {
          proxy.dropAll();
          await sleep(150);
        }
        await proxy.outage(3_000);
        const outcome = await waitForRun(handle);
        expect(proxy.accepted).toBeGreaterThan(0);
        await finish('orders', measured(outcome, faultAt));
      },
    );
  }, 300_000);

  it.runIf(FULL_CHAOS)(
    'the Temporal server restarts mid-run (file-backed): the run completes exactly',
    async () => {
      const dir = scratchDir('chaos-temporal');
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      const dbFile = join(dir, 'temporal.db');
      let temporal = await startTemporalDevServer({ dbFile });
      cleanups.push(() => temporal.stop());
      const rig = await rigWith(
        { ...sharedServices(), temporalAddress: temporal.address, temporalNamespace: temporal.namespace },
        'chaos_temporal',
      );
      await rig.runCase('Temporal server restart mid-run', 'complete', async (finish) => {
        const { handle } = await extracting(rig);
        const faultAt = Date.now();
        await temporal.stop();
        await sleep(3_000);
        temporal = await startTemporalDevServer({ dbFile, port: temporal.port, uiPort: temporal.uiPort });
        const outcome = await waitThroughOutage(handle);
        await finish('orders', measured(outcome, faultAt));
      });
    },
    300_000,
  );
});

/** Creates the case's table, starts a worker and a run of it, and returns once the run extracts. */
async function extracting(rig: ChaosRig): Promise<{ worker: CliWorker; handle: WorkflowHandle }> {
  await rig.createTable('orders');
  const worker = await rig.startWorker();
  const handle = await rig.startRun(['orders']);
  await rig.waitForTable(handle, ['extracting']);
  return { worker, handle };
}

function measured(outcome: RunOutcome, faultAt: number) {
  return {
    ok: outcome.ok,
    recoverySeconds: (Date.now() - faultAt) / 1000,
    detail: outcome.ok ? undefined : outcome.message,
  };
}

/** Waits for the run, retrying while the server is unreachable (the client's own retries give up sooner). */
async function waitThroughOutage(handle: WorkflowHandle): Promise<RunOutcome> {
  for (;;) {
    try {
      return await waitForRun(handle);
    } catch (error) {
      if (error instanceof WorkflowFailedError) throw error;
      await sleep(1_000);
    }
  }
}
