/**
 * Temporal over mutual TLS for real. The dev server speaks plaintext only, so the test puts a TLS
 * terminator in front of it that demands a client certificate from its CA (ALPN h2, bytes passed
 * through untouched). A worker and a client configured only through `temporal.tls` run a pipeline
 * through it; a client certificate from another CA is refused by the start-up check.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, startPipelineRun, waitForRun } from '../../src/client';
import { parsePipeline } from '../../src/config/load';
import { checkWorkerHealth } from '../../src/health';
import { createConduitWorker } from '../../src/worker';
import { Certificates } from '../support/certificates';
import { Harness, workflowBundle } from '../support/harness';
import { sharedServices } from '../support/services';

const services = sharedServices();
const harness = new Harness(services, { sourceSchema: 'ttls_src' });
const certificates = new Certificates();
let proxy: Server | undefined;
let proxyPort = 0;
const sockets = new Set<Socket>();
let authorizedConnections = 0;

beforeAll(async () => {
  await harness.start();
  await harness.pg.query('CREATE TABLE ttls_src.items (id int PRIMARY KEY, name text)');
  await harness.pg.query("INSERT INTO ttls_src.items SELECT g, 'item ' || g FROM generate_series(1, 1500) g");
  const ca = certificates.ca('ca');
  certificates.ca('other-ca');
  const server = certificates.issue('ca', 'server', ['IP:127.0.0.1', 'DNS:localhost']);
  certificates.issue('ca', 'worker');
  certificates.issue('other-ca', 'stranger');
  const [upstreamHost, upstreamPort] = services.temporalAddress.split(':');
  const listener = createServer(
    {
      key: readFileSync(server.key),
      cert: readFileSync(server.cert),
      ca: [readFileSync(ca)],
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket: TLSSocket) => {
      if (socket.authorized) authorizedConnections++;
      const upstream = netConnect(Number(upstreamPort), upstreamHost);
      for (const s of [socket, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          sockets.delete(s);
          socket.destroy();
          upstream.destroy();
        });
      }
      socket.pipe(upstream).pipe(socket);
    },
  );
  proxy = listener;
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  proxyPort = (listener.address() as { port: number }).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => proxy?.close(resolve));
  await harness.stop();
  certificates.remove();
});

/** The harness's pipeline on its own task queue, reaching Temporal only through the TLS terminator. */
function tlsPipeline(client: string) {
  const document = harness.pipelineDocument(harness.config.name);
  const temporal = document.temporal as Record<string, unknown>;
  return parsePipeline(
    {
      ...document,
      temporal: {
        ...temporal,
        address: `127.0.0.1:${proxyPort}`,
        taskQueue: `${String(temporal.taskQueue)}-tls`,
        tls: {
          caFile: certificates.path('ca.pem'),
          certFile: certificates.path(`${client}.crt`),
          keyFile: certificates.path(`${client}.key`),
        },
      },
    },
    'tls-pipeline.yaml',
    { env: harness.env },
  );
}

describe('Temporal over mTLS', () => {
  it('runs a pipeline with a worker and a client that reach Temporal only through mutual TLS', async () => {
    const config = tlsPipeline('worker');
    const worker = await createConduitWorker({ pipelines: [config], workflowBundle: await workflowBundle() });
    const running = worker.worker.run();
    const client = await connectClient(config.temporal);
    try {
      const outcome = await waitForRun(await startPipelineRun(client, config.temporal, { pipeline: config.name }));
      if (!outcome.ok) throw new Error(outcome.message);
      expect(outcome.result.tables).toEqual([
        expect.objectContaining({ source: 'ttls_src.items', status: 'succeeded', rows: 1500 }),
      ]);
      expect(await harness.expectSameContent('items')).toBe(1500);
      // Both the worker's native connection and the client's came through the terminator.
      expect(authorizedConnections).toBeGreaterThanOrEqual(2);
    } finally {
      await client.connection.close();
      worker.worker.shutdown();
      await running;
      await worker.close();
    }
  });

  it('refuses a client certificate from another CA: the start-up check says so', async () => {
    const config = tlsPipeline('stranger');
    const before = authorizedConnections;
    const [temporal] = await checkWorkerHealth([config], config.temporal, { temporalOnly: true, timeoutMs: 15_000 });
    expect(temporal).toMatchObject({ service: 'temporal', ok: false });
    expect(authorizedConnections).toBe(before);
  });
});
