/**
 * Inspection: search attributes on every run and table (filterable in the UI and with
 * `temporal workflow list --query`), the `status` query, and `conduit status` with live per-partition
 * progress. Real runs for the attributes; scripted activities to hold partitions in flight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { pipelineWorkflowId, runProgress, startPipelineRun, waitForRun } from '../../src/client';
import { pipelineStatusReport } from '../../src/cli/status';
import { ConduitMode, ConduitPipeline, ConduitStatus, ConduitTable } from '../../src/search-attributes';
import type { PipelineStatus } from '../../src/shared';
import { applyServiceEnv } from '../support/context';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';
import { eventually, StubWorker } from '../support/stub-worker';
import { known } from '../../src/invariant';

applyServiceEnv();
const services = sharedServices();
const harness = new Harness(services, { sourceSchema: 'inspect_src' });
const stub = new StubWorker(services.temporalAddress, services.temporalNamespace);

beforeAll(async () => {
  await Promise.all([harness.start(), stub.start()]);
});
afterAll(async () => {
  await Promise.all([harness.stop(), stub.stop()]);
});

async function list(
  client: Client,
  query: string,
): Promise<{ workflowId: string; type: string; status: string; attributes: Record<string, unknown> }[]> {
  const found = [];
  for await (const w of client.workflow.list({ query })) {
    found.push({
      workflowId: w.workflowId,
      type: w.type,
      status: w.status.name,
      attributes: {
        pipeline: w.typedSearchAttributes.get(ConduitPipeline),
        table: w.typedSearchAttributes.get(ConduitTable),
        mode: w.typedSearchAttributes.get(ConduitMode),
        status: w.typedSearchAttributes.get(ConduitStatus),
      },
    });
  }
  return found.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

describe('search attributes', () => {
  it('finds a finished run and its tables by pipeline, table, mode and status', async () => {
    await harness.pg.query('CREATE TABLE inspect_src.a (id int PRIMARY KEY, v text)');
    await harness.pg.query("INSERT INTO inspect_src.a SELECT g, 'a' || g FROM generate_series(1, 1500) g");
    await harness.pg.query('CREATE TABLE inspect_src.b (id int PRIMARY KEY)');
    await harness.runOk();
    await harness.expectSameContent('a');
    const pipeline = harness.config.name;
    const runId = pipelineWorkflowId(pipeline);

    // Visibility is eventually consistent: wait until the closed run shows its final status.
    const all = await eventually(
      async () => {
        const rows = await list(harness.client, `ConduitPipeline = '${pipeline}'`);
        return rows.length === 3 && rows.every((r) => r.status === 'COMPLETED' && r.attributes.status === 'succeeded')
          ? rows
          : undefined;
      },
      20_000,
      'the run and its two tables to be listed as succeeded',
    );
    expect(all).toEqual([
      {
        workflowId: runId,
        type: 'pipelineRun',
        status: 'COMPLETED',
        attributes: { pipeline, table: undefined, mode: 'full_refresh', status: 'succeeded' },
      },
      {
        workflowId: `${runId}/inspect_src.a`,
        type: 'tableRefresh',
        status: 'COMPLETED',
        attributes: { pipeline, table: 'inspect_src.a', mode: 'full_refresh', status: 'succeeded' },
      },
      {
        workflowId: `${runId}/inspect_src.b`,
        type: 'tableRefresh',
        status: 'COMPLETED',
        attributes: { pipeline, table: 'inspect_src.b', mode: 'full_refresh', status: 'succeeded' },
      },
    ]);
    const byTable = await list(harness.client, `ConduitPipeline = '${pipeline}' AND ConduitTable = 'inspect_src.a'`);
    expect(byTable.map((r) => r.workflowId)).toEqual([`${runId}/inspect_src.a`]);
    const runs = await list(
      harness.client,
      `ConduitPipeline = '${pipeline}' AND WorkflowType = 'pipelineRun' AND ConduitStatus = 'succeeded'`,
    );
    expect(runs.map((r) => r.workflowId)).toEqual([runId]);

    // The memo says what the run did, for the UI's summary.
    const description = await harness.client.workflow.getHandle(runId).describe();
    expect(description.memo?.summary).toMatch(/^2\/2 tables succeeded, 1500 rows/);

    // The status query of a finished run and `conduit status`.
    const status = await harness.client.workflow.getHandle(runId).query<PipelineStatus>('status');
    expect(status.tables.map((t) => [t.source, t.state])).toEqual([
      ['inspect_src.a', 'succeeded'],
      ['inspect_src.b', 'succeeded'],
    ]);
    const report = await pipelineStatusReport(harness.client, pipeline);
    expect(report.exitCode).toBe(0);
    expect(report.lines[0]).toMatch(new RegExp(`^${runId}  COMPLETED \\(succeeded\\)`));
    expect(report.lines.join('\n')).toContain('inspect_src.a');
  });

  it('marks a failed table and its run as failed', async () => {
    await harness.pg.query('CREATE TABLE inspect_src.bad (id int PRIMARY KEY, n numeric)');
    await harness.pg.query("INSERT INTO inspect_src.bad VALUES (1, 'NaN')");
    const outcome = await harness.run(['inspect_src.bad']);
    expect(outcome.ok).toBe(false);
    const pipeline = harness.config.name;
    const failed = await eventually(
      async () => {
        const rows = await list(harness.client, `ConduitPipeline = '${pipeline}' AND ConduitStatus = 'failed'`);
        return rows.length === 2 ? rows : undefined;
      },
      20_000,
      'the failed run and table to be listed',
    );
    expect(failed.map((r) => [r.type, r.attributes.table ?? null])).toEqual([
      ['pipelineRun', null],
      ['tableRefresh', 'inspect_src.bad'],
    ]);
  });
});

describe('live progress', () => {
  it('reports per table and per partition while partitions are in flight', async () => {
    let release!: () => void;
    stub.script = {
      tables: ['app.orders'],
      bounds: ['100', '200'],
      rowsPerPartition: 100,
      extractGate: new Promise<void>((r) => {
        release = r;
      }),
    };
    const handle = await startPipelineRun(stub.client, stub.temporal, { pipeline: stub.pipeline });
    try {
      // Wait until all three partitions heartbeat.
      const report = await eventually(
        async () => {
          const r = await pipelineStatusReport(stub.client, stub.pipeline);
          return r.lines.filter((l) => l.includes('partition ')).length === 3 &&
            r.lines.every((l) => !l.includes('partition') || l.includes('extract'))
            ? r
            : undefined;
        },
        20_000,
        'three partitions in flight',
      );
      expect(report.running).toBe(true);
      const text = report.lines.join('\n');
      expect(text).toMatch(/^conduit\/stub\w+ {2}RUNNING \(running\)/);
      expect(text).toMatch(/app\.orders +extracting +0\/3 partitions/);
      expect(report.lines.filter((l) => l.includes('partition '))).toEqual([
        '    partition 0  "id" < 100  STARTED  extract  50 rows  1.2 KB',
        '    partition 1  "id" >= 100 and "id" < 200  STARTED  extract  50 rows  1.2 KB',
        '    partition 2  "id" >= 200  STARTED  extract  50 rows  1.2 KB',
      ]);

      // The same through the query the README documents, and the table's search attribute live.
      const status = await stub.client.workflow
        .getHandle(pipelineWorkflowId(stub.pipeline))
        .query<PipelineStatus>('status');
      expect(status.tables).toEqual([
        { source: 'app.orders', workflowId: `${pipelineWorkflowId(stub.pipeline)}/app.orders`, state: 'preparing' },
      ]);
      const progress = await runProgress(stub.client, pipelineWorkflowId(stub.pipeline));
      expect(progress.tables[0]).toMatchObject({
        source: 'app.orders',
        state: 'extracting',
        partitions: 3,
        partitionsDone: 0,
      });
      const extracting = await eventually(
        async () => {
          const rows = await list(stub.client, `ConduitPipeline = '${stub.pipeline}' AND ConduitStatus = 'extracting'`);
          return rows.length === 1 ? rows : undefined;
        },
        20_000,
        'the table listed as extracting',
      );
      expect(known(extracting[0], 'one, waited for above').attributes.table).toBe('app.orders');
    } finally {
      release();
    }
    const outcome = await waitForRun(handle);
    expect(outcome.ok).toBe(true);
    expect(outcome.result?.tables).toEqual([
      expect.objectContaining({ source: 'app.orders', rows: 300, partitions: 3, status: 'succeeded' }),
    ]);
  });
});
