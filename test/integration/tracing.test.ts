/**
 * OpenTelemetry traces: `conduit run` and a `conduit worker` process, both with the standard
 * OTEL_EXPORTER_OTLP_* variables, export to an OTLP/HTTP receiver this test runs; one run's spans
 * form one tree from the client's start through the workflows to the activities.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliWorkers, runConduit, writePipelineFile } from '../support/cli-worker';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';
import { eventually } from '../support/stub-worker';

const S = 'trc_src';
const harness = new Harness(sharedServices(), { sourceSchema: S, pipeline: { tables: [{ name: `${S}.items` }] } });
const workers = new CliWorkers();

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string };
}
interface OtlpBody {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: Omit<Span, 'service'>[] }[];
  }[];
}

const spans: Span[] = [];
let receiver: Server;
let endpoint: string;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const parsed = JSON.parse(body) as OtlpBody;
      for (const resourceSpan of parsed.resourceSpans ?? []) {
        const service =
          resourceSpan.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const scope of resourceSpan.scopeSpans ?? [])
          for (const span of scope.spans ?? []) spans.push({ ...span, service });
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', () => done()));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  await harness.start();
  await harness.pg.query(`CREATE TABLE ${S}.items (id int PRIMARY KEY, label text)`);
  await harness.pg.query(`INSERT INTO ${S}.items SELECT g, 'item ' || g FROM generate_series(1, 500) g`);
});
afterAll(async () => {
  await workers.killAll();
  await harness.stop();
  await new Promise<void>((done) => receiver.close(() => done()));
});

describe('OpenTelemetry traces', () => {
  it("one run's spans form one tree: client start → run → table → activities, across processes", async () => {
    const name = `tr${randomUUID().slice(0, 8)}`;
    const file = writePipelineFile(harness.pipelineDocument(name));
    const otel = {
      ...harness.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    const worker = workers.start(file, otel);
    await worker.ready();
    const run = await runConduit(['run', '--config', file], otel);
    expect(run.code, run.output).toBe(0);
    expect((await worker.stop()).code).toBe(0); // flushes the worker's spans

    const byName = (spanName: string) => spans.filter((s) => s.name === spanName);
    await eventually(
      async () => (byName('RunActivity:swapTable').length > 0 ? true : undefined),
      20_000,
      `the swap's activity span (received: ${[...new Set(spans.map((s) => s.name))].join(', ')})`,
    );
    const [start] = byName('StartWorkflow:pipelineRun');
    expect(start?.service).toBe('conduit');
    const trace = spans.filter((s) => s.traceId === start?.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const ancestors = (span: Span | undefined): string[] => {
      const names: string[] = [];
      for (let at = span; at?.parentSpanId; at = byId.get(at.parentSpanId)) {
        const parent = byId.get(at.parentSpanId);
        if (parent) names.push(parent.name);
      }
      return names;
    };
    const inTrace = (spanName: string) => trace.find((s) => s.name === spanName);

    expect(ancestors(inTrace('RunWorkflow:pipelineRun'))).toEqual(['StartWorkflow:pipelineRun']);
    expect(ancestors(inTrace('RunWorkflow:tableRefresh'))).toEqual([
      'StartChildWorkflow:tableRefresh',
      'RunWorkflow:pipelineRun',
      'StartWorkflow:pipelineRun',
    ]);
    for (const activity of ['prepareTable', 'extractPartition', 'loadTable', 'verifyTable', 'swapTable']) {
      const span = inTrace(`RunActivity:${activity}`);
      expect(span?.service, activity).toBe('conduit-worker');
      expect(ancestors(span), activity).toEqual(
        expect.arrayContaining([`StartActivity:${activity}`, 'RunWorkflow:tableRefresh', 'StartWorkflow:pipelineRun']),
      );
    }
  });
});
