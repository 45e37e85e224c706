/**
 * `conduit worker --metrics-port`: a real worker process answers /metrics (Temporal's worker metrics
 * and Conduit's, with values checked against a real run), /healthz and /readyz over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineRun, waitForRun } from '../../src/client';
import type { TemporalSettings } from '../../src/config/pipeline';
import { freePort } from '../../src/dev/ports';
import { parsePrometheusText, sumOf as sum } from '../../src/observability/prometheus-text';
import { CliWorkers, writePipelineFile, type CliWorker } from '../support/cli-worker';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

const S = 'obs_src';
const tables = [
  { name: `${S}.orders` },
  { name: `${S}.events`, mode: 'incremental_merge', cursor: 'updated_at' },
  // A table that fails in prepare with a named failure type (its cursor column does not exist).
  { name: `${S}.broken`, mode: 'incremental_append', cursor: 'no_such_column' },
];
const harness = new Harness(sharedServices(), { sourceSchema: S, pipeline: { tables } });
const workers = new CliWorkers();

interface StartedWorker {
  worker: CliWorker;
  url: string;
  name: string;
  temporal: TemporalSettings;
}

async function startWorker(
  edit: (document: Record<string, unknown>) => void = () => undefined,
): Promise<StartedWorker> {
  const name = `o${randomUUID().slice(0, 8)}`;
  const document = harness.pipelineDocument(name);
  edit(document);
  const port = await freePort();
  const worker = workers.start(writePipelineFile(document), harness.env, [
    '--metrics-port',
    String(port),
    '--metrics-host',
    '127.0.0.1',
  ]);
  await worker.ready();
  return { worker, url: `http://127.0.0.1:${port}`, name, temporal: document.temporal as TemporalSettings };
}

let main: StartedWorker;

beforeAll(async () => {
  await harness.start();
  await harness.pg.query(`CREATE TABLE ${S}.orders (id int PRIMARY KEY, label text)`);
  await harness.pg.query(`INSERT INTO ${S}.orders SELECT g, 'order ' || g FROM generate_series(1, 1000) g`);
  await harness.pg.query(`CREATE TABLE ${S}.events (id int PRIMARY KEY, updated_at timestamptz NOT NULL)`);
  await harness.pg.query(
    `INSERT INTO ${S}.events SELECT g, timestamptz '2026-11-30 12:00:00+00' + g * interval '1 second'
       FROM generate_series(1, 40) g`,
  );
  await harness.pg.query(`CREATE TABLE ${S}.broken (id int PRIMARY KEY)`);
  main = await startWorker();
});
afterAll(async () => {
  await workers.killAll();
  await harness.stop();
});

describe('the worker metrics port', () => {
  it('answers /healthz, and /readyz once it polls and its services answer', async () => {
    const health = await fetch(`${main.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok\n');

    const ready = await fetch(`${main.url}/readyz`);
    const body = (await ready.json()) as { ready: boolean; checks: { name: string; ok: boolean }[] };
    expect(ready.status).toBe(200);
    expect(body.ready).toBe(true);
    const names = body.checks.map((c) => c.name.split(' ')[0]);
    expect(names).toEqual(expect.arrayContaining(['worker', 'temporal', 'postgres', 'snowflake']));
    expect((await fetch(`${main.url}/nothing`)).status).toBe(404);
  });

  it("exports Temporal's worker metrics and Conduit's, with the run's real figures", async () => {
    const handle = await startPipelineRun(harness.client, main.temporal, { pipeline: main.name });
    const outcome = await waitForRun(handle);
    expect(outcome.ok).toBe(false); // the broken table fails; the others load

    const response = await fetch(`${main.url}/metrics`);
    expect(response.status).toBe(200);
    const samples = parsePrometheusText(await response.text());
    const orders = { pipeline: main.name, table: `${S}.orders` };
    const events = { pipeline: main.name, table: `${S}.events` };

    expect(sum(samples, 'conduit_extracted_rows_total', orders)).toBe(1000);
    expect(sum(samples, 'conduit_loaded_rows_total', orders)).toBe(1000);
    expect(sum(samples, 'conduit_staged_bytes_total', orders)).toBeGreaterThan(0);
    expect(sum(samples, 'conduit_extracted_rows_total', events)).toBe(40);
    expect(sum(samples, 'conduit_table_runs_total', { ...orders, outcome: 'succeeded' })).toBe(1);
    expect(
      sum(samples, 'conduit_table_runs_total', { pipeline: main.name, table: `${S}.broken`, outcome: 'failed' }),
    ).toBe(1);
    expect(
      sum(samples, 'conduit_activity_failures_total', {
        activity: 'prepareIncremental',
        failure_type: 'InvalidCursor',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sum(samples, 'conduit_pipeline_run_duration_seconds_count', { pipeline: main.name, outcome: 'failed' }),
    ).toBe(1);
    // The committed cursor of the merge table: its highest updated_at.
    expect(sum(samples, 'conduit_incremental_cursor_timestamp_seconds', events)).toBe(
      Date.parse('2026-11-30T12:00:40Z') / 1000,
    );
    expect(sum(samples, 'conduit_activity_duration_seconds_count', { activity: 'extractPartition' })).toBeGreaterThan(
      0,
    );
    // Warehouse time per table and step: the COPY of loadTable, the swap, the merge commit.
    expect(
      sum(samples, 'conduit_warehouse_execution_seconds_sum', { ...orders, activity: 'loadTable' }),
    ).toBeGreaterThan(0);
    expect(
      sum(samples, 'conduit_warehouse_execution_seconds_count', { ...events, activity: 'commitIncremental' }),
    ).toBe(1);

    // The SDK's own worker metrics share the endpoint.
    expect(samples.some((s) => s.name === 'temporal_worker_task_slots_available')).toBe(true);
    expect(samples.some((s) => s.name.startsWith('temporal_activity_execution_latency_seconds'))).toBe(true);

    // The process's own health gauges.
    expect(sum(samples, 'process_resident_memory_bytes', {})).toBeGreaterThan(50e6);
    expect(sum(samples, 'nodejs_heap_used_bytes', {})).toBeGreaterThan(1e6);
    expect(sum(samples, 'nodejs_active_resources', {})).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_delay_p99_seconds')).toBe(true);

    // Every metric the alert rules and the dashboard query is one this worker exports.
    const exported = new Set(samples.map((s) => s.name));
    for (const file of ['deploy/prometheus/alerts.yml', 'deploy/grafana/dashboards/conduit.json']) {
      const text = readFileSync(resolve(__dirname, '../..', file), 'utf8');
      const referenced = [...new Set(text.match(/\b(conduit|temporal|process|nodejs)_[a-z0-9_]+/g) ?? [])];
      expect(referenced.length, file).toBeGreaterThan(3);
      expect(
        referenced.filter((name) => !exported.has(name)),
        file,
      ).toEqual([]);
    }

    // Bounded labels: no run, workflow or partition identifiers. The workflow meter adds the SDK's
    // own (camelCase) task queue and workflow type.
    const allowed = new Set([
      ...['pipeline', 'table', 'activity', 'outcome', 'failure_type', 'mode', 'le', 'service_name'],
      ...['namespace', 'taskQueue', 'workflowType'],
    ]);
    const labels = new Set(samples.filter((s) => s.name.startsWith('conduit_')).flatMap((s) => Object.keys(s.labels)));
    expect([...labels].filter((label) => !allowed.has(label))).toEqual([]);
  });

  it('reports not ready, naming the service, when a pipeline source does not answer', async () => {
    const closedPort = await freePort();
    const cut = await startWorker((document) => {
      document.source = { ...(document.source as Record<string, unknown>), port: closedPort };
    });
    const ready = await fetch(`${cut.url}/readyz`);
    const body = (await ready.json()) as { ready: boolean; checks: { name: string; ok: boolean }[] };
    expect(ready.status).toBe(503);
    expect(body.ready).toBe(false);
    expect(body.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([`postgres (${cut.name})`]);
    expect((await fetch(`${cut.url}/healthz`)).status).toBe(200);

    expect((await cut.worker.stop()).code).toBe(0);
    await expect(fetch(`${cut.url}/healthz`)).rejects.toThrow();
  });
});
