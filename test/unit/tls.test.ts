import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parsePipeline } from '../../src/config/load';
import { temporalConnectionOptions } from '../../src/temporal-connection';
import { scratchDir } from '../support/scratch';

const env = {
  PGPASSWORD: 'pg-secret',
  SF_PASSWORD: 'sf-secret',
  TEMPORAL_API_KEY: 'key-secret',
  CERTS: '/etc/conduit',
};

function pipeline(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'tls',
    source: { type: 'postgres', host: 'db', database: 'shop', user: 'etl', password: '${PGPASSWORD}' },
    destination: {
      type: 'snowflake',
      account: 'acme',
      user: 'LOADER',
      password: '${SF_PASSWORD}',
      database: 'RAW',
      schema: 'SHOP',
    },
    tables: ['public.orders'],
    ...overrides,
  };
}

function problems(document: unknown): string[] {
  try {
    parsePipeline(document, 'p.yaml', { env });
  } catch (error) {
    return (error as ConfigError).problems;
  }
  throw new Error('expected the document to be rejected');
}

describe('TLS settings', () => {
  it('reads Temporal mTLS files, server name and an API key from the environment', () => {
    const config = parsePipeline(
      pipeline({
        temporal: {
          address: 'ns.acme.tmprl.cloud:7233',
          tls: {
            caFile: '${CERTS}/ca.pem',
            certFile: '${CERTS}/c.pem',
            keyFile: '${CERTS}/c.key',
            serverName: 't.internal',
          },
          apiKey: '${TEMPORAL_API_KEY}',
        },
      }),
      'p.yaml',
      { env },
    );
    expect(config.temporal.tls).toEqual({
      caFile: '/etc/conduit/ca.pem',
      certFile: '/etc/conduit/c.pem',
      keyFile: '/etc/conduit/c.key',
      serverName: 't.internal',
    });
    expect(config.temporal.apiKey).toBe('key-secret');
    expect(parsePipeline(pipeline({ temporal: { tls: true } }), 'p.yaml', { env }).temporal.tls).toEqual({});
    expect(parsePipeline(pipeline({}), 'p.yaml', { env }).temporal.tls).toBeUndefined();
  });

  it('refuses a literal API key, a certificate without its key, and a CA file without PostgreSQL TLS', () => {
    expect(
      problems(
        pipeline({
          temporal: { apiKey: 'abc' },
          source: { ...(pipeline({}).source as object), sslRootCert: '/ca.pem' },
        }),
      ),
    ).toEqual([
      expect.stringContaining('`temporal.apiKey`: write a reference to an environment variable'),
      expect.stringContaining('`source.sslRootCert`: set `source.ssl` to verify-full'),
    ]);
    expect(problems(pipeline({ temporal: { tls: { certFile: '/c.pem', extra: 1 } } }))).toEqual([
      expect.stringContaining('`temporal.tls.extra`: unknown key'),
      '`temporal.tls`: mTLS needs both `certFile` and `keyFile`',
    ]);
  });

  it('turns the settings into connection options, reading the files when connecting', () => {
    const dir = scratchDir('tls');
    for (const name of ['ca.pem', 'c.pem', 'c.key']) writeFileSync(join(dir, name), `${name} content`);
    const options = temporalConnectionOptions({
      address: 'h:7233',
      namespace: 'n',
      taskQueue: 'q',
      tls: { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'c.pem'), keyFile: join(dir, 'c.key'), serverName: 's' },
      apiKey: 'k',
    });
    expect(options.address).toBe('h:7233');
    expect(options.apiKey).toBe('k');
    expect(options.tls?.serverNameOverride).toBe('s');
    expect(Buffer.from(options.tls?.serverRootCACertificate ?? []).toString()).toBe('ca.pem content');
    expect(Buffer.from(options.tls?.clientCertPair?.key ?? []).toString()).toBe('c.key content');
    expect(temporalConnectionOptions({ address: 'h:7233', namespace: 'n', taskQueue: 'q' })).toEqual({
      address: 'h:7233',
    });
    expect(() =>
      temporalConnectionOptions({
        address: 'h',
        namespace: 'n',
        taskQueue: 'q',
        tls: { caFile: join(dir, 'missing.pem') },
      }),
    ).toThrow(/cannot read the Temporal TLS CA file/);
  });
});
