/**
 * Pipelines on Temporal Schedules: a short interval runs the real pipeline repeatedly; a slow run
 * makes the schedule skip triggers (SKIP) without two runs ever overlapping; a scheduled trigger
 * and a manual run never run at once; `conduit schedule …` and the documented
 * `temporal schedule create` line. Schedules are deleted after each test.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pipelineWorkflowId, startPipelineRun, waitForRun } from '../../src/client';
import { scheduleCommand } from '../../src/cli/schedule';
import { temporalCliPath } from '../../src/dev/temporal';
import { defaultScheduleId } from '../../src/ids';
import { createPipelineSchedule, listPipelineSchedules, triggerPipelineSchedule } from '../../src/schedules';
import type { ScheduledRunResult, scheduledPipelineRun } from '../../src/workflows';
import { applyServiceEnv } from '../support/context';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';
import { eventually, sleep, StubWorker } from '../support/stub-worker';
import { scratchDir } from '../support/scratch';
import { known } from '../../src/invariant';

applyServiceEnv();
const services = sharedServices();
const harness = new Harness(services, { sourceSchema: 'sched_src' });
const slow = new StubWorker(services.temporalAddress, services.temporalNamespace);
const manual = new StubWorker(services.temporalAddress, services.temporalNamespace);
const created: { client: Client; id: string }[] = [];

beforeAll(async () => {
  await Promise.all([harness.start(), slow.start(), manual.start()]);
});
afterEach(async () => {
  for (const { client, id } of created.splice(0))
    await client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
});
afterAll(async () => {
  await Promise.all([harness.stop(), slow.stop(), manual.stop()]);
});

interface Trigger {
  workflowId: string;
  status: string;
  result?: ScheduledRunResult;
}

/** The schedule's trigger workflows (`scheduledPipelineRun`) of a pipeline, with results of finished ones. */
async function triggers(client: Client, pipeline: string): Promise<Trigger[]> {
  const found: Trigger[] = [];
  for await (const w of client.workflow.list({
    query: `WorkflowType = 'scheduledPipelineRun' AND ConduitPipeline = '${pipeline}'`,
  })) {
    const result =
      w.status.name === 'COMPLETED'
        ? await client.workflow.getHandle<typeof scheduledPipelineRun>(w.workflowId, w.runId).result()
        : undefined;
    found.push({ workflowId: w.workflowId, status: w.status.name, result });
  }
  return found;
}

describe('schedules', () => {
  it('runs the pipeline on a 2 s interval and each run copies the data', async () => {
    await harness.pg.query('CREATE TABLE sched_src.events (id bigint PRIMARY KEY, kind text)');
    await harness.pg.query("INSERT INTO sched_src.events SELECT g, 'kind ' || (g % 7) FROM generate_series(1, 1200) g");
    const handle = await createPipelineSchedule(harness.client, harness.config.temporal, {
      pipeline: harness.config.name,
      every: '2s',
    });
    created.push({ client: harness.client, id: handle.scheduleId });
    expect(handle.scheduleId).toBe(defaultScheduleId(harness.config.name));

    const ran = await eventually(
      async () => {
        const done = (await triggers(harness.client, harness.config.name)).filter((t) => t.result?.outcome === 'ran');
        return done.length >= 2 ? done : undefined;
      },
      60_000,
      'two scheduled runs to finish',
    );
    await handle.delete();
    for (const t of ran) {
      expect(t.workflowId).toMatch(new RegExp(`^conduit-schedule/${harness.config.name}/trigger-`));
      expect(t.result).toMatchObject({ outcome: 'ran', runWorkflowId: pipelineWorkflowId(harness.config.name) });
    }
    // Let a trigger that started before the delete finish, then check the content.
    await eventually(
      async () =>
        (await triggers(harness.client, harness.config.name)).every((t) => t.status !== 'RUNNING') ? true : undefined,
      60_000,
      'the last trigger to end',
    );
    expect(await harness.expectSameContent('events')).toBe(1200);
  });

  it('skips triggers while a slow run goes (overlap SKIP) and never runs two at once', async () => {
    slow.script = { planMs: 5_000 };
    const handle = await createPipelineSchedule(slow.client, slow.temporal, {
      pipeline: slow.pipeline,
      every: '2s',
      overlap: 'skip',
    });
    created.push({ client: slow.client, id: handle.scheduleId });
    const description = await eventually(
      async () => {
        const d = await handle.describe();
        return d.info.numActionsTaken >= 2 && d.info.numActionsSkippedOverlap >= 2 ? d : undefined;
      },
      45_000,
      'two runs and two skipped triggers',
    );
    expect(description.policies.overlap).toBe('SKIP');
    expect(description.info.runningActions.length).toBeLessThanOrEqual(1);
    await handle.pause('test done');
    await eventually(
      async () => ((await handle.describe()).info.runningActions.length === 0 ? true : undefined),
      30_000,
      'the running trigger to end',
    );

    // Planning is where each stub run spends its time: no two runs planned at once.
    const plans = [...slow.plans].sort((a, b) => a.start - b.start);
    expect(plans.length).toBeGreaterThanOrEqual(2);
    for (const [i, plan] of plans.entries())
      if (i > 0) expect(plan.start).toBeGreaterThanOrEqual(known(plans[i - 1], 'i > 0').end);
  });

  it('never runs a scheduled trigger and a manual run of one pipeline at once', async () => {
    manual.script = { planMs: 3_000 };
    const handle = await createPipelineSchedule(manual.client, manual.temporal, {
      pipeline: manual.pipeline,
      every: '1h',
      paused: true,
    });
    created.push({ client: manual.client, id: handle.scheduleId });

    // A manual run is going: the trigger finds conduit/<pipeline> running and is recorded as skipped.
    const run = await startPipelineRun(manual.client, manual.temporal, { pipeline: manual.pipeline });
    await triggerPipelineSchedule(manual.client, handle.scheduleId);
    const skipped = await eventually(
      async () => (await triggers(manual.client, manual.pipeline)).find((t) => t.result !== undefined),
      30_000,
      'the trigger to end',
    );
    expect(skipped.result).toEqual({
      outcome: 'skipped',
      runWorkflowId: pipelineWorkflowId(manual.pipeline),
      reason: `${pipelineWorkflowId(manual.pipeline)} was already running`,
    });
    expect((await waitForRun(run)).ok).toBe(true);

    // A scheduled run is going: `conduit run` (startPipelineRun) joins it instead of starting another.
    const before = manual.plans.length;
    await triggerPipelineSchedule(manual.client, handle.scheduleId);
    const child = await eventually(
      async () => {
        const d = await manual.client.workflow.getHandle(pipelineWorkflowId(manual.pipeline)).describe();
        return d.status.name === 'RUNNING' && d.parentExecution ? d : undefined;
      },
      30_000,
      'the scheduled run to start',
    );
    const joined = await startPipelineRun(manual.client, manual.temporal, { pipeline: manual.pipeline });
    expect((await joined.describe()).runId).toBe(child.runId);
    expect((await waitForRun(joined)).ok).toBe(true);
    await sleep(500);
    expect(manual.plans.length).toBe(before + 1);
  });

  it('is managed with conduit schedule create|list|describe|pause|unpause|trigger|delete', async () => {
    const dir = scratchDir('schedule');
    const file = join(dir, 'pipeline.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        name: manual.pipeline,
        temporal: manual.temporal,
        source: { type: 'postgres', host: 'db', port: 5432, database: 'd', user: 'u', password: '${NOT_NEEDED_HERE}' },
        destination: {
          type: 'snowflake',
          account: 'a',
          user: 'u',
          password: '${NOT_NEEDED_HERE}',
          database: 'D',
          schema: 'S',
        },
        tables: ['public.t'],
      }),
    );
    const cli = async (...args: string[]): Promise<{ code: number; text: string }> => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const code = await scheduleCommand([...args, '--config', file], out);
      return { code, text };
    };
    const id = defaultScheduleId(manual.pipeline);
    created.push({ client: manual.client, id });

    const made = await cli(
      'create',
      '--cron',
      '0 2 * * *',
      '--time-zone',
      'Europe/Berlin',
      '--jitter',
      '5m',
      '--overlap',
      'buffer-one',
      '--paused',
      '--note',
      'nightly',
    );
    expect(made.code).toBe(0);
    expect(made.text).toContain(`created schedule ${id} for pipeline ${manual.pipeline}`);
    expect(made.text).toContain('in Europe/Berlin, jitter 5m');
    expect(made.text).toContain('overlap: BUFFER_ONE');

    expect((await cli('list')).text).toMatch(new RegExp(`^${id}  pipeline ${manual.pipeline}  paused  next `, 'm'));
    expect((await cli('unpause')).text).toBe(`unpaused ${id}\n`);
    expect((await cli('describe')).text).toMatch(new RegExp(`^schedule ${id}\\n`));
    expect((await cli('pause', '--note', 'maintenance')).text).toBe(`paused ${id}\n`);
    expect((await cli('describe')).text).toContain('(paused)');
    expect((await cli('describe')).text).toContain('note: maintenance');

    manual.script = {};
    const earlier = (await triggers(manual.client, manual.pipeline)).length;
    expect((await cli('trigger')).code).toBe(0);
    const all = await eventually(
      async () => {
        const found = await triggers(manual.client, manual.pipeline);
        return found.length > earlier && found.every((t) => t.status !== 'RUNNING') ? found : undefined;
      },
      30_000,
      'the triggered run',
    );
    expect(all.filter((t) => t.result?.outcome === 'ran').length).toBeGreaterThanOrEqual(1);

    expect((await cli('delete')).text).toBe(`deleted ${id} (runs it started are not affected)\n`);
    expect((await cli('describe')).code).toBe(1);
  });

  it('accepts the documented temporal schedule create line', async () => {
    const doc = readFileSync(resolve(__dirname, '../../docs/operations.md'), 'utf8').replace(/\\\n\s*/g, '');
    const documented =
      `temporal schedule create --schedule-id conduit-schedule/demo --interval 1h --overlap-policy Skip ` +
      `--type scheduledPipelineRun --task-queue conduit --workflow-id conduit-schedule/demo/trigger ` +
      `--input '{"pipeline":"demo"}' --schedule-memo 'conduitPipeline="demo"'`;
    expect(doc).toContain(documented);
    const p = manual.pipeline;
    const args = (documented.match(/'[^']*'|\S+/g) ?? []).slice(1).map((w) =>
      w
        .replace(/^'(.*)'$/, '$1')
        .replace(/demo/g, p)
        .replace(/^conduit$/, manual.temporal.taskQueue),
    );
    await promisify(execFile)(temporalCliPath(), [
      ...args,
      '--address',
      manual.temporal.address,
      '--namespace',
      manual.temporal.namespace,
    ]);
    created.push({ client: manual.client, id: `conduit-schedule/${p}` });

    const listed = await listPipelineSchedules(manual.client, p);
    expect(listed.map((s) => s.scheduleId)).toEqual([`conduit-schedule/${p}`]);
    const description = await manual.client.schedule.getHandle(`conduit-schedule/${p}`).describe();
    expect(description.policies.overlap).toBe('SKIP');
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'scheduledPipelineRun',
      taskQueue: manual.temporal.taskQueue,
      args: [{ pipeline: p }],
    });
  });
});
