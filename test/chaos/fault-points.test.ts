/**
 * Chaos, fault points (src/faults.ts): for each one a `conduit worker` process SIGKILLs itself
 * there in the middle of a full_refresh that replaces existing content, a replacement worker is
 * started, and the run completes. Then the target equals the source row by row (nothing lost,
 * nothing duplicated), no shadow table, stage or local file of the run is left, and every read of
 * the target saw only the complete old content or the complete new content: right after the kill,
 * the old one before the swap committed and the new one after.
 *
 * Against Snowflake a reader polls the target all along. Against DuckDB it cannot: the file is open in
 * one process at a time, and a worker holds it for a whole activity, so the test reads it only while no
 * worker runs (before the run, between the kill and the replacement, after the replacement stopped).
 * There the atomic replace rests on the swap being one DuckDB transaction (three renames, DDL being
 * transactional) that a kill leaves committed or absent; a reader inside the file's process during the
 * swap is test/contract/replace.test.ts's case. DuckDB writes a transaction to its WAL at commit only,
 * so a kill mid-transaction leaves nothing of it, and a kill after a commit leaves it in the WAL, not yet
 * checkpointed into the file: the read after the kill replays it (read-only, in memory), the replacement
 * worker's open replays it for good, and its close checkpoints and removes the WAL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRun } from '../../src/client';
import type { FaultPoint } from '../../src/faults';
import { ChaosRig, FULL_CHAOS, within } from '../support/chaos-rig';
import { DuckDbTarget } from '../support/chaos-targets';
import { applyServiceEnv } from '../support/context';
import { sharedServices } from '../support/services';
import { TargetReader } from '../support/target-reader';

applyServiceEnv();
const rigs = [
  new ChaosRig(sharedServices(), 'chaos_fp'),
  new ChaosRig(sharedServices(), 'chaos_fp_duck', {}, () => new DuckDbTarget()),
];

beforeAll(async () => {
  for (const rig of rigs) await rig.start();
});
afterAll(async () => {
  for (const rig of rigs) await rig.stop();
});

/**
 * `ci` cases run in `npm test`; CONDUIT_CHAOS=full runs all. `swapped`: the killed worker's swap had
 * committed, so the target holds the new content at the kill. `committed`: the killed activity had
 * committed a write into the target, which a destination with a WAL holds there at the kill (the chaos
 * table's load stays under DuckDB's 16 MB wal_autocheckpoint, past which the commit checkpoints itself).
 */
const CASES: {
  fault: `${FaultPoint}` | `${FaultPoint}@${number}`;
  ci: boolean;
  swapped: boolean;
  committed: boolean;
}[] = [
  { fault: 'extract.mid-stream', ci: true, swapped: false, committed: false },
  // The second arrival: one partition is already staged and reported, another is not.
  { fault: 'extract.after-stage@2', ci: false, swapped: false, committed: false },
  { fault: 'load.after-copy', ci: false, swapped: false, committed: true },
  { fault: 'swap.before', ci: false, swapped: false, committed: false },
  { fault: 'swap.after', ci: true, swapped: true, committed: true },
  { fault: 'cleanup.during', ci: false, swapped: true, committed: true },
];

for (const rig of rigs) {
  const { target } = rig;
  // Snowflake's cases keep the names earlier results were recorded under.
  const named = (fault: string) =>
    `worker SIGKILL at ${fault}${target.name === 'Snowflake' ? '' : ` (${target.name})`}`;

  describe(`a worker killed at a fault point, loading into ${target.name}`, () => {
    for (const { fault, ci, swapped, committed } of CASES) {
      it.runIf(FULL_CHAOS || ci)(
        `${fault}: the run completes exactly; readers see old or new content only`,
        async () => {
          const table = `t_${fault.replace(/\W/g, '_')}`;
          await rig.runCase(named(fault), 'complete', async (finish) => {
            await rig.createTable(table);
            const first = await rig.startWorker();
            expect((await waitForRun(await rig.startRun([table]))).ok).toBe(true);
            expect((await first.stop()).code).toBe(0);
            await rig.changeTable(table);

            const old = await target.fingerprint(table);
            const reader = target.readableWhileWritten ? new TargetReader(target, table) : undefined;
            reader?.start();
            const doomed = await rig.startWorker({ fault });
            const handle = await rig.startRun([table]);
            const death = await within(doomed.exited, 180_000, `the worker to die at ${fault}`);
            const killedAt = Date.now();
            expect(death.signal).toBe('SIGKILL');
            expect(doomed.output()).toContain(`fault point ${fault.split('@')[0]} reached`);
            // No worker runs now: what the kill left, as the next process to open the target finds it.
            const walBytes = target.walBytes();
            const atKill = await target.fingerprint(table);

            const replacement = await rig.startWorker();
            const outcome = await waitForRun(handle);
            const recoverySeconds = (Date.now() - killedAt) / 1000;
            const polls = (await reader?.stop()) ?? [];
            expect((await replacement.stop()).code).toBe(0);
            const now = await target.fingerprint(table);
            const observations = [old, ...polls, atKill, now];
            const strays = observations.filter((o) => o !== old && o !== now);
            const problems = [
              outcome.ok ? undefined : outcome.message,
              old === now ? 'the run did not change the target' : undefined,
              polls.length > 0 && polls[0] !== old ? 'the first poll was not the old content' : undefined,
              strays.length ? `a read saw ${strays.length} other states: ${strays[0]}` : undefined,
              atKill === (swapped ? now : old)
                ? undefined
                : `at the kill the target held not the ${swapped ? 'new' : 'old'} content`,
              // The killed activity's commit is in the WAL, for the reads above and the replacement to replay.
              target.hasWal && committed && walBytes === 0 ? 'no WAL at the kill after a commit' : undefined,
            ].filter((problem) => problem !== undefined);
            await finish(table, {
              ok: problems.length === 0,
              recoverySeconds,
              // Reads while the run went on: the polls and the read at the kill.
              readerPolls: polls.length + 1,
              detail:
                [...problems, ...(target.hasWal ? [`WAL at the kill: ${walBytes} bytes`] : [])].join('; ') || undefined,
            });
          });
        },
        360_000,
      );
    }
  });
}
