/**
 * The official client, set up from the pipeline's destination, and the one way this connector runs
 * SQL: a query job awaited until DONE, its error raised (jobs.query answers carrying `errors` are not
 * trusted to throw; see docs/bigquery-emulator.md). Error messages lose quoted spans, which can carry
 * staged values.
 */
import { BigQuery, type BigQueryOptions, type Query } from '@google-cloud/bigquery';
import { OAuth2Client } from 'google-auth-library';
import type { BigQueryDestination } from '../../config/pipeline';

export type Row = Record<string, unknown>;
export type Params = Record<string, string | number | null>;

/**
 * A key file or Application Default Credentials. An `apiEndpoint` without credentials is an emulator:
 * requests carry a placeholder token. Without it the client looks for Application Default Credentials
 * (the metadata server), and when none are found sends media uploads without headers, which fails.
 */
export function createClient(config: BigQueryDestination): BigQuery {
  const options: BigQueryOptions = {
    projectId: config.project,
    ...(config.location !== undefined ? { location: config.location } : {}),
    ...(config.credentials !== undefined ? { keyFilename: config.credentials } : {}),
  };
  if (config.apiEndpoint !== undefined) {
    options.apiEndpoint = config.apiEndpoint;
    if (config.credentials === undefined) {
      const placeholder = new OAuth2Client();
      placeholder.setCredentials({ access_token: 'emulator', expiry_date: Number.MAX_SAFE_INTEGER });
      options.authClient = placeholder;
    }
  }
  return new BigQuery(options);
}

/** An error without the quoted spans BigQuery's messages use for values; the cause is not kept. */
export function redacted(error: unknown, what: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  const first = (message.split('\n')[0] ?? '').replace(/'[^']*'/g, "'…'").replace(/"[^"]*"/g, '"…"');
  const failure = new Error(`${what}: ${first}`);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') Object.assign(failure, { code });
  return failure;
}

/** Runs a statement or script as a query job and returns the rows of its last statement. */
export async function runQuery(client: BigQuery, sql: string, params: Params = {}): Promise<Row[]> {
  const query: Query = { query: sql, useLegacySql: false };
  if (Object.keys(params).length > 0) {
    query.params = params;
    // A NULL parameter needs its type; every parameter here is a STRING or an INT64.
    query.types = Object.fromEntries(
      Object.entries(params).map(([name, value]) => [name, typeof value === 'number' ? 'INT64' : 'STRING']),
    );
  }
  const [job] = await client.createQueryJob(query);
  await job.promise();
  const [rows] = await job.getQueryResults({ autoPaginate: true });
  return rows as Row[];
}
