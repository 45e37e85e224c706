/**
 * The local services the other integration tests stand on: the shared ones from the global setup
 * answer as the product expects, and a service started on its own leaves nothing behind at stop().
 */
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { Client } from 'pg';
import snowflake from 'snowflake-sdk';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { startSnowflakeEmulator } from '../../src/dev/emulator';
import { isProcessAlive, startPostgres } from '../../src/dev/postgres';
import { CONDUIT_SEARCH_ATTRIBUTES, startTemporalDevServer } from '../../src/dev/temporal';
import '../support/context';
import { sharedTemporalEnv } from '../support/temporal';

snowflake.configure({ logLevel: 'ERROR' });

function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (answered: boolean): void => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}

describe('shared Temporal dev server', () => {
  const temporal = inject('temporal');
  let connection: Connection;
  // The returned teardown runs after the suite, and only if the connection was made.
  beforeAll(async () => {
    connection = await Connection.connect({ address: temporal.address });
    return () => connection.close();
  });

  it('answers for its namespace', async () => {
    const described = await connection.workflowService.describeNamespace({ namespace: temporal.namespace });
    expect(described.namespaceInfo?.name).toBe(temporal.namespace);
  });

  it("has Conduit's search attributes registered with their types", async () => {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: temporal.namespace,
    });
    for (const name of Object.keys(CONDUIT_SEARCH_ATTRIBUTES)) {
      expect(customAttributes[name], name).toBe(encodeSearchAttributeIndexedValueType('KEYWORD'));
    }
  });

  it('serves the Web UI', async () => {
    const response = await fetch(temporal.uiUrl);
    expect(response.status).toBe(200);
  });

  it('is reachable through a TestWorkflowEnvironment', async () => {
    const env = await sharedTemporalEnv();
    try {
      const info = await env.connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBeTruthy();
    } finally {
      await env.teardown();
    }
  });
});

describe('shared PostgreSQL', () => {
  const pg = inject('postgres');

  it('accepts a password login over TCP as conduit into conduit_source', async () => {
    const client = new Client({
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
      database: pg.database,
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ who: string; db: string; tcp: boolean }>(
        'SELECT current_user AS who, current_database() AS db, inet_server_addr() IS NOT NULL AS tcp',
      );
      expect(rows[0]).toMatchObject({ who: 'conduit', db: 'conduit_source', tcp: true });
    } finally {
      await client.end();
    }
  });

  it('refuses a wrong password', async () => {
    const client = new Client({
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: `${pg.password}x`,
      database: pg.database,
    });
    await expect(client.connect()).rejects.toMatchObject({ code: '28P01' });
  });

  it('matches the environment handed to workers', () => {
    const env = inject('serviceEnv');
    expect(env).toMatchObject({
      PGHOST: pg.host,
      PGPORT: String(pg.port),
      PGUSER: pg.user,
      PGPASSWORD: pg.password,
      PGDATABASE: pg.database,
    });
  });
});

describe('shared Snowflake emulator', () => {
  const sf = inject('snowflake');

  it('answers SELECT 1 through snowflake-sdk', async () => {
    const connection = snowflake.createConnection({
      account: sf.account,
      username: sf.user,
      password: sf.password,
      // How the product reaches a non-default endpoint (src/connectors/snowflake/connection.ts).
      accessUrl: `${sf.protocol}://${sf.host}:${sf.port}`,
      database: sf.database,
      schema: sf.schema,
      warehouse: sf.warehouse,
    });
    await connection.connectAsync(() => undefined);
    try {
      const rows = await new Promise<unknown[] | undefined>((resolve, reject) => {
        connection.execute({
          sqlText: 'SELECT 1 AS ONE',
          complete: (error, _statement, result) => (error ? reject(error) : resolve(result)),
        });
      });
      expect(rows).toEqual([{ ONE: 1 }]);
    } finally {
      await new Promise<void>((resolve) => connection.destroy(() => resolve()));
    }
  });
});

// Each service on its own (not the shared ones): stop() must leave no process and no files.
describe('stop() leaves nothing behind', () => {
  it('PostgreSQL: postmaster gone, port closed, data directory removed; stop() twice is fine', async () => {
    const pg = await startPostgres();
    expect(isProcessAlive(pg.pid)).toBe(true);
    expect(await portAnswers(pg.port)).toBe(true);
    await pg.stop();
    await pg.stop();
    expect(isProcessAlive(pg.pid)).toBe(false);
    expect(await portAnswers(pg.port)).toBe(false);
    expect(existsSync(pg.dataDir)).toBe(false);
    expect(existsSync(pg.socketDir)).toBe(false);
  });

  it('Temporal dev server: process gone, ports closed; stop() twice is fine', async () => {
    const temporal = await startTemporalDevServer();
    expect(isProcessAlive(temporal.pid)).toBe(true);
    await temporal.stop();
    await temporal.stop();
    expect(isProcessAlive(temporal.pid)).toBe(false);
    expect(await portAnswers(temporal.port)).toBe(false);
    expect(await portAnswers(temporal.uiPort)).toBe(false);
  });

  it('Snowflake emulator: process gone, port closed', async () => {
    const emulator = await startSnowflakeEmulator();
    expect(isProcessAlive(emulator.pid)).toBe(true);
    await emulator.stop();
    expect(isProcessAlive(emulator.pid)).toBe(false);
    expect(await portAnswers(emulator.port)).toBe(false);
  });
});
