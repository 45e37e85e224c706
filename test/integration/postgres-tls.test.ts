/**
 * TLS to PostgreSQL for real: the shared cluster is given a certificate signed by a throwaway CA
 * (reloaded, not restarted; clients without TLS are unaffected) and connectPostgres is pointed at
 * it with each `source.ssl` mode. A certificate that does not verify is a permanent error that
 * names what to check, not something to retry.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, copyFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresSource } from '../../src/config/pipeline';
import { connectPostgres } from '../../src/connectors/postgres/connect';
import { PermanentError } from '../../src/connectors/errors';
import { Certificates } from '../support/certificates';
import { sharedServices } from '../support/services';
import { known } from '../../src/invariant';

const { postgres } = sharedServices();
const certificates = new Certificates();
let admin: Client;
let dataDir: string;

function source(overrides: Partial<PostgresSource>): PostgresSource {
  return {
    type: 'postgres',
    host: postgres.host,
    port: postgres.port,
    database: postgres.database,
    user: postgres.user,
    password: postgres.password,
    ssl: 'disable',
    ...overrides,
  };
}

async function encrypted(config: PostgresSource): Promise<boolean> {
  const client = await connectPostgres(config);
  try {
    const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return known(rows[0], 'pg_stat_ssl has a row for every backend').ssl;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  certificates.ca('ca');
  certificates.ca('other-ca');
  const server = certificates.issue('ca', 'server', ['IP:127.0.0.1']);
  admin = new Client({
    host: postgres.host,
    port: postgres.port,
    user: postgres.user,
    password: postgres.password,
    database: postgres.database,
  });
  await admin.connect();
  const { rows } = await admin.query<{ data_directory: string }>('SHOW data_directory');
  dataDir = known(rows[0], 'SHOW returns one row').data_directory;
  const owner = statSync(dataDir);
  for (const [file, from] of [
    ['server.crt', server.cert],
    ['server.key', server.key],
  ] as const) {
    const target = join(dataDir, `conduit-test-${file}`);
    copyFileSync(from, target);
    chownSync(target, owner.uid, owner.gid);
  }
  execFileSync('chmod', ['600', join(dataDir, 'conduit-test-server.key')]);
  await admin.query(`ALTER SYSTEM SET ssl_cert_file = 'conduit-test-server.crt'`);
  await admin.query(`ALTER SYSTEM SET ssl_key_file = 'conduit-test-server.key'`);
  await admin.query('ALTER SYSTEM SET ssl = on');
  await admin.query('SELECT pg_reload_conf()');
  // The reload is asynchronous: wait until the server offers TLS.
  const ssl = async () => known((await admin.query<{ ssl: string }>('SHOW ssl')).rows[0], 'SHOW returns one row').ssl;
  for (let i = 0; i < 50 && (await ssl()) !== 'on'; i++) await new Promise((r) => setTimeout(r, 100));
});

afterAll(async () => {
  for (const setting of ['ssl', 'ssl_cert_file', 'ssl_key_file']) await admin.query(`ALTER SYSTEM RESET ${setting}`);
  await admin.query('SELECT pg_reload_conf()');
  await admin.end();
  for (const file of ['server.crt', 'server.key']) rmSync(join(dataDir, `conduit-test-${file}`), { force: true });
  certificates.remove();
});

describe('PostgreSQL TLS', () => {
  it('verify-full with the CA file connects encrypted; require encrypts unchecked; disable does not', async () => {
    expect(await encrypted(source({ ssl: 'verify-full', sslRootCert: certificates.path('ca.pem') }))).toBe(true);
    expect(await encrypted(source({ ssl: 'require' }))).toBe(true);
    expect(await encrypted(source({ ssl: 'disable' }))).toBe(false);
  });

  it('refuses, permanently and saying what to check, a certificate from another CA or for another host', async () => {
    const otherCa = connectPostgres(source({ ssl: 'verify-full', sslRootCert: certificates.path('other-ca.pem') }));
    await expect(otherCa).rejects.toBeInstanceOf(PermanentError);
    await expect(otherCa).rejects.toThrow(/TLS certificate .* not accepted .*source\.sslRootCert/);
    // The certificate is for 127.0.0.1, not localhost.
    const wrongName = connectPostgres(
      source({ ssl: 'verify-full', sslRootCert: certificates.path('ca.pem'), host: 'localhost' }),
    );
    await expect(wrongName).rejects.toThrow(/TLS certificate .* not accepted .*localhost/);
    await expect(
      connectPostgres(source({ ssl: 'verify-full', sslRootCert: certificates.path('missing.pem') })),
    ).rejects.toThrow(/cannot read source\.sslRootCert/);
  });
});
