/**
 * A TCP proxy the test controls, put between the worker and a service to play network faults: cut
 * every open connection at once (a reset, as a crashed or restarted server gives), and refuse new
 * ones for a while (the endpoint being down), then serve again on the same port.
 */
import { createServer, Socket, type Server } from 'node:net';
import { freePort } from '../../src/dev/ports';

export class TcpProxy {
  private server?: Server;
  private readonly open = new Set<Socket>();
  /** Connections accepted so far: proof that traffic went through the proxy. */
  accepted = 0;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<{ host: string; port: number }> {
    this.port = await freePort();
    await this.listen();
    return { host: '127.0.0.1', port: this.port };
  }

  /** Resets every open connection, both sides. */
  dropAll(): void {
    for (const socket of this.open) socket.resetAndDestroy();
    this.open.clear();
  }

  /** Drops every connection and refuses new ones (connection refused) for `ms`, then serves again. */
  async outage(ms: number): Promise<void> {
    // server.close() resolves only once its connections are gone: cut them after asking.
    const closed = this.close();
    this.dropAll();
    await closed;
    await new Promise((r) => setTimeout(r, ms));
    await this.listen();
  }

  async stop(): Promise<void> {
    const closed = this.close();
    this.dropAll();
    await closed;
  }

  private listen(): Promise<void> {
    const server = createServer((client) => this.pipe(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  private close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private pipe(client: Socket): void {
    this.accepted++;
    const upstream = new Socket();
    for (const socket of [client, upstream]) {
      this.open.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.open.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.connect(this.target.port, this.target.host);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
