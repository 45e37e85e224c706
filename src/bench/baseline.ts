/**
 * The raw baseline: the pipeline's own extract statement for the whole table, streamed as one
 * `COPY (SELECT …) TO STDOUT (FORMAT csv)` through gzip level 1 into nothing, on one connection
 * with the pipeline's session settings. No Temporal, no files, no upload: what PostgreSQL plus
 * compression can do in a single stream, the figure the extract phase is compared with.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { to as copyTo } from 'pg-copy-streams';
import type { PostgresSource, SnowflakeDestination } from '../config/pipeline';
import type { Codec } from '../config/compression';
import { snowflakeCapabilities } from '../connectors/snowflake/capabilities';
import { CODEC_EXTENSION } from '../connectors/compression';
import { connectPostgres } from '../connectors/postgres/connect';
import { extractStatement, extractToFile } from '../connectors/postgres/extract';
import { withSnowflake } from '../connectors/snowflake/connection';
import { createSchemaSql, createStageSql, putFileSql, quoteIdent, tableRef } from '../connectors/snowflake/dialect';
import type { PartitionRange, PreparedTable, TableJob } from '../shared';
import type { PostgresEndpoint } from './source';

const BASELINE_GZIP_CHUNK = 256 * 1024;

export interface BaselineMeasurement {
  seconds: number;
  passes: number[];
  csvBytes: number;
  gzipBytes: number;
  serverOnlySeconds?: number;
  sql: string;
}

/** The SELECT the extract ran for one partition, widened to the whole table. */
export function wholeTableStatement(job: TableJob, table: PreparedTable): string {
  const range: PartitionRange =
    table.partitioning.strategy === 'key'
      ? { strategy: 'key', column: table.partitioning.column }
      : { strategy: 'ctid' };
  return extractStatement(job.source, table.columns, range, snowflakeCapabilities.limits).sql;
}

export function postgresSource(endpoint: PostgresEndpoint): PostgresSource {
  return {
    type: 'postgres',
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    user: endpoint.user,
    password: endpoint.password,
    ssl: 'disable',
  };
}

/**
 * Runs the COPY `passes` times (the fastest counts: it is the limit), and once more written by the
 * server itself to /dev/null when `serverFiles` allows, which is PostgreSQL's share alone.
 */
export async function measureBaseline(
  endpoint: PostgresEndpoint,
  copySql: string,
  passes: number,
  serverFiles: boolean,
): Promise<BaselineMeasurement> {
  const client = await connectPostgres(postgresSource(endpoint));
  try {
    const times: number[] = [];
    let csvBytes = 0;
    let gzipBytes = 0;
    for (let i = 0; i < passes; i++) {
      let csv = 0;
      let gzip = 0;
      const started = process.hrtime.bigint();
      const copy = client.query(copyTo(copySql));
      copy.on('data', (chunk: Buffer) => {
        csv += chunk.length;
      });
      await pipeline(
        copy,
        // zlib's output buffer as large as the extract's (256 KB): the default 16 KB costs ~10% more.
        createGzip({ level: 1, chunkSize: BASELINE_GZIP_CHUNK }),
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            gzip += chunk.length;
            callback();
          },
        }),
      );
      times.push(Number(process.hrtime.bigint() - started) / 1e9);
      csvBytes = csv;
      gzipBytes = gzip;
    }
    let serverOnlySeconds: number | undefined;
    if (serverFiles) {
      const started = process.hrtime.bigint();
      await client.query(copySql.replace(/ TO STDOUT /, " TO '/dev/null' "));
      serverOnlySeconds = Number(process.hrtime.bigint() - started) / 1e9;
    }
    return { seconds: Math.min(...times), passes: times, csvBytes, gzipBytes, serverOnlySeconds, sql: copySql };
  } finally {
    await client.end();
  }
}

export interface StagingMeasurement {
  /** The product's extractToFile (COPY → compressor → local file) for the whole table, one stream, no Temporal. */
  extractToFileSeconds: number;
  /** PUT of that one file to a stage of the destination (the SDK's digest and upload, the stage's receiving). */
  putSeconds: number;
  fileBytes: number;
}

/**
 * The same work as the extract activity, without Temporal and in one stream: the product's own
 * extractToFile (fastest of `passes`), then one PUT of the file. Splits the extract+stage phase
 * into its parts.
 */
export async function measureStaging(
  endpoint: PostgresEndpoint,
  copySql: string,
  destination: SnowflakeDestination,
  codec: Codec,
  passes: number,
): Promise<StagingMeasurement> {
  const folder = mkdtempSync(join(tmpdir(), 'conduit-bench-stage-'));
  const file = join(folder, `whole-table.csv${CODEC_EXTENSION[codec]}`);
  const schema = `BENCH_STAGE_${process.pid}_${Date.now()}`;
  try {
    const client = await connectPostgres(postgresSource(endpoint));
    let extractToFileSeconds = Number.POSITIVE_INFINITY;
    try {
      for (let pass = 0; pass < passes; pass++) {
        const started = process.hrtime.bigint();
        await extractToFile(client, { sql: copySql, guarded: [] }, file, codec, () => undefined);
        extractToFileSeconds = Math.min(extractToFileSeconds, Number(process.hrtime.bigint() - started) / 1e9);
      }
    } finally {
      await client.end();
    }
    const stage = tableRef(destination.database, { schema, name: 'bench_stage' });
    const putSeconds = await withSnowflake(destination, async (session) => {
      await session.query(createSchemaSql(destination.database, schema));
      await session.query(createStageSql(stage));
      try {
        const started = process.hrtime.bigint();
        await session.query(putFileSql(file, codec, stage));
        return Number(process.hrtime.bigint() - started) / 1e9;
      } finally {
        await session
          .query(`DROP SCHEMA IF EXISTS ${quoteIdent(destination.database)}.${quoteIdent(schema)} CASCADE`)
          .catch(() => undefined);
      }
    });
    return { extractToFileSeconds, putSeconds, fileBytes: statSync(file).size };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
