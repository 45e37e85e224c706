import { readFileSync } from 'node:fs';
import { Client, type ClientConfig } from 'pg';
import type { PostgresSource } from '../../config/pipeline';
import { PermanentError } from '../errors';
import { FailureType } from '../../failure-types';

/**
 * Session settings that make PostgreSQL's text output what the load side expects, whatever the
 * server's defaults: UTF-8 (the server converts from the database's encoding; node-pg decodes UTF-8
 * and sends no client_encoding itself), ISO dates, UTC, shortest exact floats, hex bytea, ISO 8601
 * intervals.
 */
const SESSION_SETTINGS = [
  "SET client_encoding = 'UTF8'",
  "SET DateStyle = 'ISO, YMD'",
  "SET TimeZone = 'UTC'",
  "SET IntervalStyle = 'iso_8601'",
  'SET extra_float_digits = 1',
  "SET bytea_output = 'hex'",
  "SET application_name = 'conduit'",
];

/** SQLSTATE classes and codes that no retry can fix. */
const PERMANENT_CODES: Record<string, string> = {
  '28P01': 'source authentication failed (wrong user or password: check source.user and the password variable)',
  '28000': 'source authorization failed (pg_hba.conf or the role does not allow this login)',
  '3D000': 'source database does not exist (check source.database)',
  '42P01': 'source table does not exist',
  '42501':
    "insufficient privilege on the source (grant the pipeline's user USAGE on the schema and SELECT on the table)",
  '42703': 'source column does not exist',
};

/** Node's codes for a server certificate that does not verify: no retry makes it verify. */
const TLS_REFUSED = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

export async function connectPostgres(source: PostgresSource): Promise<Client> {
  const client = new Client(clientConfig(source));
  // A server restart ends idle sessions with an 'error' event, which, unheard, crashes the whole
  // worker process (every partition in flight, every pipeline). Heard, the session's next query
  // fails instead and its activity retries.
  client.on('error', () => undefined);
  try {
    await client.connect();
    for (const statement of SESSION_SETTINGS) await client.query(statement);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw classifyPostgresError(
      error,
      `connecting to PostgreSQL at ${source.host}:${source.port}/${source.database} as ${source.user}`,
    );
  }
  return client;
}

function clientConfig(source: PostgresSource): ClientConfig {
  if (source.password === undefined) {
    throw new PermanentError(
      'the source password is not resolved: set the environment variable named in the pipeline file where ' +
        'the worker runs',
      FailureType.MissingSecret,
    );
  }
  return {
    host: source.host,
    port: source.port,
    database: source.database,
    user: source.user,
    password: source.password,
    ssl:
      source.ssl === 'disable'
        ? false
        : {
            rejectUnauthorized: source.ssl === 'verify-full',
            ca: source.sslRootCert ? readCa(source.sslRootCert) : undefined,
          },
    connectionTimeoutMillis: 15_000,
  };
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new PermanentError(
      `cannot read source.sslRootCert ${file}: ${(error as Error).message}`,
      FailureType.SslRootCert,
    );
  }
}

/** Wraps a driver error with what was being done; permanent causes become PermanentError. */
export function classifyPostgresError(error: unknown, doing: string): Error {
  if (error instanceof PermanentError) return error;
  const err = error as Error & { code?: string };
  if (err.code && TLS_REFUSED.test(err.code)) {
    return new PermanentError(
      `the source's TLS certificate was not accepted while ${doing}: ${err.message} (check ` +
        `source.sslRootCert and that source.host is a name the certificate is for)`,
      FailureType.PostgresTls,
    );
  }
  const known = err.code ? PERMANENT_CODES[err.code] : undefined;
  if (known) return new PermanentError(`${known} while ${doing}: ${err.message}`, `Postgres${err.code}`);
  return new Error(`${doing}: ${err.message}`, { cause: error });
}
