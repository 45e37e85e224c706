import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Readiness {
  ready: boolean;
  /** One line per check, named by service; shown in the /readyz body. */
  checks: { name: string; ok: boolean; detail: string }[];
}

export interface ObservabilityServerOptions {
  host: string;
  port: number;
  /** Where Temporal's runtime exports its Prometheus text (installMetricsRuntime). */
  temporalMetricsUrl: string;
  readiness: () => Promise<Readiness>;
}

export interface ObservabilityServer {
  /** The bound address, e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

/**
 * The worker's metrics port: `/metrics` relays the runtime's Prometheus text (Temporal's and
 * Conduit's metrics), `/healthz` says the process is alive, `/readyz` whether it polls and its
 * pipelines' services answer (503 with the failing checks otherwise).
 */
export async function startObservabilityServer(options: ObservabilityServerOptions): Promise<ObservabilityServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    if (request.method !== 'GET') return send(405, 'only GET\n');
    if (path === '/healthz') return send(200, 'ok\n');
    if (path === '/metrics') {
      fetch(options.temporalMetricsUrl)
        .then(async (upstream) => send(upstream.status, await upstream.text(), 'text/plain; version=0.0.4'))
        .catch((error: unknown) => send(503, `metrics unavailable: ${String(error)}\n`));
      return undefined;
    }
    if (path === '/readyz') {
      options
        .readiness()
        .then((state) => send(state.ready ? 200 : 503, `${JSON.stringify(state, null, 2)}\n`, 'application/json'))
        .catch((error: unknown) => send(503, `${JSON.stringify({ ready: false, error: String(error) })}\n`));
      return undefined;
    }
    return send(404, 'not found: try /metrics, /healthz or /readyz\n');
  });
  await listen(server, options.host, options.port);
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`metrics port ${host}:${port} is in use: choose another with --metrics-port`)
          : error,
      ),
    );
    server.listen(port, host, () => resolve());
  });
}
