/**
 * Workflow code changes must not break runs already in flight: a worker replays such a run's
 * history with the new code, and a difference in the commands it issues fails the workflow task.
 * Fixtures (test/fixtures, binary `temporal.api.history.v1.History`) are histories recorded with
 * older workflow code and are replayed against the build's prebuilt bundle, which workers load:
 *
 * - table-refresh-before-shared-snapshot.binpb: `tableRefresh` of a page-range table of 3
 *   partitions (`conduit/t74dc099e/upg_src.pages`), run by the workflows of commit 0ebb74b, before
 *   shared snapshots existed. Today `auto` reads such a table under one; the missing patch marker
 *   must make the new code replay it per partition. (Without the `patched()` check this replay
 *   fails with a nondeterminism error: verified when the fixture was recorded.)
 *
 * (JSON histories are not used: in this install @temporalio/common and @temporalio/proto each carry
 * their own protobufjs, and the SDK's historyFromJSON fails with "type must be a Type".)
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { prebuiltWorkflowBundle } from '../../src/build-bundle';
import type { PreparedTable } from '../../src/shared';

function fixture(name: string): temporal.api.history.v1.History {
  return temporal.api.history.v1.History.decode(readFileSync(resolve(__dirname, '../fixtures', name)));
}

describe('replaying histories recorded with older code', () => {
  it('replays a page-range table refreshed before shared snapshots, per partition', async () => {
    const history = fixture('table-refresh-before-shared-snapshot.binpb');
    const { events } = history;
    // A page-range table with several partitions, read without a holder: what `auto` now changes.
    const result = events.find((e) => e.activityTaskCompletedEventAttributes)?.activityTaskCompletedEventAttributes
      ?.result?.payloads?.[0];
    const prepared = defaultPayloadConverter.fromPayload<PreparedTable>(result ?? {});
    expect(prepared.partitioning).toMatchObject({ strategy: 'ctid', bounds: [expect.any(Number), expect.any(Number)] });
    expect(events.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'holdSnapshot')).toBe(
      false,
    );
    const bundle = prebuiltWorkflowBundle(resolve(__dirname, '../../dist'));
    if (!bundle) throw new Error('no up-to-date prebuilt workflow bundle in dist/: run npm run build');
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, 'conduit/t74dc099e/upg_src.pages');
  });
});
