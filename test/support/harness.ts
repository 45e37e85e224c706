/**
 * An end-to-end harness for one test file: a real worker on its own task queue (against the shared
 * Temporal dev server), the shared PostgreSQL and Snowflake emulator, and helpers to run a pipeline
 * and compare source and destination content row by row.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { workflowInterceptorModules } from '../../src/build-bundle';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { Client as PgClient } from 'pg';
import snowflake from 'snowflake-sdk';
import { expect } from 'vitest';
import { startPipelineRun, waitForRun, type RunOutcome } from '../../src/client';
import { parsePipeline } from '../../src/config/load';
import type { PipelineConfig, SnowflakeDestination } from '../../src/config/pipeline';
import { describeTable } from '../../src/connectors/postgres/catalog';
import { quoteIdent, quoteTable } from '../../src/connectors/postgres/sql';
import { connectSnowflake, field, type SnowflakeSession } from '../../src/connectors/snowflake/connection';
import { quoteIdent as sfQuote } from '../../src/connectors/snowflake/dialect';
import type { PostgresService, SnowflakeEmulatorService } from '../../src/dev/types';
import type { ColumnKind } from '../../src/shared';
import { createConduitWorker, type ConduitWorker } from '../../src/worker';
import { canonicalPgExpression, canonicalSnowflakeValue, finishPgValue } from './canonical';
import { known } from '../../src/invariant';

export interface HarnessServices {
  temporalAddress: string;
  temporalNamespace: string;
  postgres: Omit<PostgresService, 'stop'>;
  snowflake: Omit<SnowflakeEmulatorService, 'stop'>;
}

export interface HarnessOptions {
  /** Source schema the test owns (created fresh). */
  sourceSchema: string;
  /** Pipeline definition fields to add or override (tables, settings…). */
  pipeline?: Record<string, unknown>;
  /** Run a worker inside the test process (default); false when the test runs worker processes itself. */
  inProcessWorker?: boolean;
}

/** How a destination table differs from its source as multisets of canonical rows. */
export interface ContentDiff {
  sourceRows: number;
  targetRows: number;
  /** Source rows the target lacks (counting multiplicity): rows lost. */
  missing: number;
  /** Target rows beyond the source's (duplicates, or rows that should not be there). */
  extra: number;
}

/** A destination table's rows, rendered as the source's are for `kinds` (its columns' in order), sorted. */
export type TargetRowReader = (table: string, kinds: ColumnKind['kind'][]) => Promise<string[]>;

let bundle: Promise<WorkflowBundle> | undefined;

/** Workflows bundled once per test file (a second or two of webpack); also for extra workers a test starts. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: resolve(__dirname, '../../src/workflows/index.ts'),
    workflowInterceptorModules: workflowInterceptorModules(resolve(__dirname, '../../src')),
    logger: quietLogger,
  });
  return bundle;
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

/** The harness's pipelines load into the Snowflake emulator. */
export type SnowflakePipelineConfig = PipelineConfig & { destination: SnowflakeDestination };

/** A pipeline document parsed, known to load into Snowflake. */
export function snowflakePipeline(config: PipelineConfig): SnowflakePipelineConfig {
  const { destination } = config;
  if (destination.type !== 'snowflake') throw new Error(`${config.name} does not load into Snowflake`);
  return { ...config, destination };
}

export class Harness {
  readonly config: SnowflakePipelineConfig;
  readonly env: NodeJS.ProcessEnv;
  private worker?: ConduitWorker;
  private workerRun?: Promise<void>;
  private nativeConnection?: NativeConnection;
  private temporal?: TemporalClient;
  private source?: PgClient;
  private destination?: SnowflakeSession;

  constructor(
    readonly services: HarnessServices,
    readonly options: HarnessOptions,
  ) {
    const id = randomUUID().slice(0, 8);
    this.env = {
      PG_PASSWORD: services.postgres.password,
      SF_PASSWORD: services.snowflake.password,
    };
    this.config = snowflakePipeline(
      parsePipeline(this.pipelineDocument(`t${id}`), 'test-pipeline.yaml', { env: this.env }),
    );
  }

  /** The pipeline document the harness runs; tests may build variants of it. */
  pipelineDocument(
    name: string,
    overrides: Record<string, unknown> = this.options.pipeline ?? {},
  ): Record<string, unknown> {
    const { postgres, snowflake: sf } = this.services;
    return {
      name,
      temporal: {
        address: this.services.temporalAddress,
        namespace: this.services.temporalNamespace,
        taskQueue: `conduit-test-${name}`,
      },
      source: {
        type: 'postgres',
        host: postgres.host,
        port: postgres.port,
        database: postgres.database,
        user: postgres.user,
        password: '${PG_PASSWORD}',
      },
      destination: {
        type: 'snowflake',
        account: sf.account,
        user: sf.user,
        password: '${SF_PASSWORD}',
        database: sf.database,
        schema: `DST_${name.toUpperCase()}`,
        host: sf.host,
        port: sf.port,
        protocol: sf.protocol,
      },
      tables: [{ schema: this.options.sourceSchema, include: ['*'] }],
      settings: { partitionRows: 1000, maxParallelPartitions: 3 },
      ...overrides,
    };
  }

  get targetSchema(): string {
    return this.config.destination.schema;
  }

  async start(): Promise<void> {
    await this.connectSource();
    await this.pg.query(`DROP SCHEMA IF EXISTS ${quoteIdent(this.options.sourceSchema)} CASCADE`);
    await this.pg.query(`CREATE SCHEMA ${quoteIdent(this.options.sourceSchema)}`);
    this.destination = await connectSnowflake(this.config.destination);
    if (this.options.inProcessWorker ?? true) {
      this.nativeConnection = await NativeConnection.connect({ address: this.services.temporalAddress });
      this.worker = await createConduitWorker({
        pipelines: [this.config],
        connection: this.nativeConnection,
        workflowBundle: await workflowBundle(),
      });
      this.workerRun = this.worker.worker.run();
    }
    const connection = await Connection.connect({ address: this.services.temporalAddress });
    this.temporal = new TemporalClient({ connection, namespace: this.services.temporalNamespace });
  }

  /** (Re)opens `pg`, e.g. after the source server restarted under it. */
  async connectSource(): Promise<void> {
    await this.source?.end().catch(() => undefined);
    const { postgres } = this.services;
    const pg = new PgClient({
      host: postgres.host,
      port: postgres.port,
      user: postgres.user,
      password: postgres.password,
      database: postgres.database,
    });
    // A server restart ends the session; the error surfaces on the next query, not as a crash.
    pg.on('error', () => undefined);
    this.source = pg;
    await pg.connect();
    // Canonical renderings below assume these, whatever the server's defaults.
    await this.pg.query(
      "SET client_encoding = 'UTF8'; SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; " +
        "SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 1",
    );
  }

  async stop(): Promise<void> {
    this.worker?.worker.shutdown();
    await this.workerRun;
    await this.worker?.close();
    await this.nativeConnection?.close();
    await this.temporal?.connection.close();
    await this.destination?.close();
    await this.source?.end().catch(() => undefined);
  }

  /** The source database, as the test's own session. */
  get pg(): PgClient {
    if (!this.source) throw new Error('harness not started');
    return this.source;
  }

  /** The destination, as the test's own Snowflake session. */
  get snowflake(): SnowflakeSession {
    if (!this.destination) throw new Error('harness not started');
    return this.destination;
  }

  get client(): TemporalClient {
    if (!this.temporal) throw new Error('harness not started');
    return this.temporal;
  }

  /** Runs the pipeline (optionally some tables) to its end. */
  async run(tables?: string[]): Promise<RunOutcome> {
    const handle = await startPipelineRun(this.client, this.config.temporal, { pipeline: this.config.name, tables });
    return waitForRun(handle);
  }

  async runOk(tables?: string[]): Promise<RunOutcome & { ok: true }> {
    const outcome = await this.run(tables);
    if (!outcome.ok) throw new Error(`run failed: ${outcome.message}`);
    return outcome;
  }

  /** Tables (and other objects) left in the destination schema, by kind. */
  async destinationObjects(): Promise<{ tables: string[]; stages: string[] }> {
    const tables = await this.snowflake.query<{ name: string }>(
      `SELECT TABLE_NAME AS "name" FROM ` +
        `${sfQuote(this.config.destination.database)}.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? ORDER ` +
        `BY 1`,
      [this.targetSchema],
    );
    const stages = await this.snowflake.query(
      `SHOW STAGES IN SCHEMA ${sfQuote(this.config.destination.database)}.${sfQuote(this.targetSchema)}`,
    );
    return { tables: tables.map((t) => t.name), stages: stages.map((s) => String(field(s, 'name'))) };
  }

  /**
   * Asserts that the destination table holds exactly the source table's rows: same columns, same
   * values under the canonical rendering, same multiset of rows (no duplicates, none missing).
   */
  async expectSameContent(sourceTable: string, targetTable = sourceTable): Promise<number> {
    const source = await this.sourceRows(sourceTable);
    const target = await this.targetRows(targetTable, source.kinds);
    expect(target.columns).toEqual(source.columns);
    expect(target.rows.length).toBe(source.rows.length);
    expect(target.rows).toEqual(source.rows);
    return source.rows.length;
  }

  /**
   * Counts rows lost and rows extra (duplicated) in the target, for reports; expectSameContent asserts.
   * `readTarget` renders another destination's table as `targetRows` does (the chaos suite's DuckDB).
   */
  async contentDiff(
    sourceTable: string,
    targetTable = sourceTable,
    readTarget: TargetRowReader = async (table, kinds) => (await this.targetRows(table, kinds)).rows,
  ): Promise<ContentDiff> {
    const source = await this.sourceRows(sourceTable);
    const targetRows = await readTarget(targetTable, source.kinds);
    const counts = new Map<string, number>();
    for (const row of source.rows) counts.set(row, (counts.get(row) ?? 0) + 1);
    let extra = 0;
    for (const row of targetRows) {
      const left = counts.get(row) ?? 0;
      if (left > 0) counts.set(row, left - 1);
      else extra++;
    }
    const missing = [...counts.values()].reduce((sum, n) => sum + n, 0);
    return { sourceRows: source.rows.length, targetRows: targetRows.length, missing, extra };
  }

  private async sourceRows(table: string): Promise<{ columns: string[]; kinds: ColumnKind['kind'][]; rows: string[] }> {
    const name = { schema: this.options.sourceSchema, name: table };
    const described = await describeTable(this.pg, name);
    const columns = described.columns.map((c) => {
      if (!c.kind) throw new Error(`column ${c.name} has no kind`);
      return { name: c.name, kind: c.kind.kind, source: c };
    });
    const kinds = columns.map((c) => c.kind);
    const select = columns.map((c, i) => `${canonicalPgExpression(c.name, c.kind, c.source)} AS c${i}`).join(', ');
    const { rows } = await this.pg.query<Record<string, string | null>>(
      `SELECT ${select} FROM ${quoteTable(name.schema, name.name)}`,
    );
    const rendered = rows.map((row) =>
      JSON.stringify(
        kinds.map((kind, i) => finishPgValue(known(row[`c${i}`], 'the SELECT has a column per kind'), kind)),
      ),
    );
    return { columns: described.columns.map((c) => c.name), kinds, rows: rendered.sort() };
  }

  /** The Snowflake target table's columns and rows, each row rendered canonically (canonical.ts), sorted. */
  async targetRows(table: string, kinds: ColumnKind['kind'][]): Promise<{ columns: string[]; rows: string[] }> {
    const { columns, rows } = await readSnowflakeTable(this.config.destination, this.targetSchema, table);
    // A column the source lacks renders as text; expectSameContent fails on the column lists first.
    const rendered = rows.map((row) =>
      JSON.stringify(row.map((value, i) => canonicalSnowflakeValue(value, kinds[i] ?? 'text'))),
    );
    return { columns, rows: rendered.sort() };
  }
}

/** Reads a whole table with the SDK directly: dates as SDK date objects, everything else as strings. */
async function readSnowflakeTable(
  destination: SnowflakeDestination,
  schema: string,
  table: string,
): Promise<{ columns: string[]; rows: unknown[][] }> {
  const connection = snowflake.createConnection({
    account: destination.account,
    username: destination.user,
    password: destination.password,
    database: sfQuote(destination.database),
    accessUrl: `${destination.protocol}://${destination.host}:${destination.port}`,
    representNullAsStringNull: false,
  });
  await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
  try {
    // TIME comes back as text in this format; the default shows whole seconds only.
    await new Promise<void>((resolve, reject) =>
      connection.execute({
        sqlText: "ALTER SESSION SET TIME_OUTPUT_FORMAT = 'HH24:MI:SS.FF6', QUOTED_IDENTIFIERS_IGNORE_CASE = FALSE",
        complete: (error) => (error ? reject(error) : resolve()),
      }),
    );
    return await new Promise((resolve, reject) => {
      connection.execute({
        sqlText: `SELECT * FROM ${sfQuote(destination.database)}.${sfQuote(schema)}.${sfQuote(table)}`,
        fetchAsString: ['Number', 'Boolean', 'JSON', 'Buffer'],
        rowMode: 'array',
        complete: (error, statement, rows) => {
          if (error) reject(error);
          else
            resolve({
              columns: (statement.getColumns() ?? []).map((c) => c.getName()),
              rows: (rows ?? []) as unknown[][],
            });
        },
      });
    });
  } finally {
    await new Promise<void>((resolve) => connection.destroy(() => resolve()));
  }
}
