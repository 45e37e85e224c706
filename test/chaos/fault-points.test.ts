/**
 * Chaos, fault points (src/faults.ts): for each one a `conduit worker` process SIGKILLs itself
 * there in the middle of a full_refresh that replaces existing content, a replacement worker is
 * started, and the run completes. Then the target equals the source row by row (nothing lost,
 * nothing duplicated), no shadow table, stage or local file of the run is left, and a reader that
 * polled the target all along saw only the complete old content or the complete new content.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRun } from '../../src/client';
import type { FaultPoint } from '../../src/faults';
import { ChaosRig, FULL_CHAOS, within } from '../support/chaos-rig';
import { applyServiceEnv } from '../support/context';
import { sharedServices } from '../support/services';
import { TargetReader } from '../support/target-reader';

applyServiceEnv();
const rig = new ChaosRig(sharedServices(), 'chaos_fp');

beforeAll(() => rig.start());
afterAll(() => rig.stop());

/** `ci` cases run in `npm test`; CONDUIT_CHAOS=full runs all. */
const CASES: { fault: `${FaultPoint}` | `${FaultPoint}@${number}`; ci: boolean }[] = [
  { fault: 'extract.mid-stream', ci: true },
  // The second arrival: one partition is already staged and reported, another is not.
  { fault: 'extract.after-stage@2', ci: false },
  { fault: 'load.after-copy', ci: false },
  { fault: 'swap.before', ci: false },
  { fault: 'swap.after', ci: true },
  { fault: 'cleanup.during', ci: false },
];

describe('a worker killed at a fault point', () => {
  for (const { fault, ci } of CASES) {
    it.runIf(FULL_CHAOS || ci)(
      `${fault}: the run completes exactly; readers see old or new content only`,
      async () => {
        const table = `t_${fault.replace(/\W/g, '_')}`;
        await rig.runCase(`worker SIGKILL at ${fault}`, 'complete', async (finish) => {
          await rig.createTable(table);
          const first = await rig.startWorker();
          expect((await waitForRun(await rig.startRun([table]))).ok).toBe(true);
          expect((await first.stop()).code).toBe(0);
          await rig.changeTable(table);

          const { harness } = rig;
          const reader = new TargetReader(harness.snowflake, {
            database: harness.config.destination.database,
            schema: harness.targetSchema,
            name: table,
          });
          const old = await reader.fingerprint();
          reader.start();
          const doomed = await rig.startWorker({ fault });
          const handle = await rig.startRun([table]);
          const death = await within(doomed.exited, 180_000, `the worker to die at ${fault}`);
          const killedAt = Date.now();
          expect(death.signal).toBe('SIGKILL');
          expect(doomed.output()).toContain(`fault point ${fault.split('@')[0]} reached`);

          const replacement = await rig.startWorker();
          const outcome = await waitForRun(handle);
          const recoverySeconds = (Date.now() - killedAt) / 1000;
          const observations = await reader.stop();
          const now = await reader.fingerprint();
          const strays = observations.filter((o) => o !== old && o !== now);
          await finish(table, {
            ok: outcome.ok && old !== now && observations[0] === old && strays.length === 0,
            recoverySeconds,
            readerPolls: observations.length,
            detail: outcome.ok
              ? strays.length
                ? `reader saw ${strays.length} other states: ${strays[0]}`
                : undefined
              : outcome.message,
          });
          expect(strays).toEqual([]);
          expect((await replacement.stop()).code).toBe(0);
        });
      },
      360_000,
    );
  }
});
