/**
 * The destination a chaos rig's pipeline loads into, as the rig and its tests see it: the pipeline's
 * destination block, a fingerprint of a table, its rows in canonical form, and what a run must not leave
 * behind. Snowflake (the emulator, read by the test's own session at any time) and DuckDB (a file one
 * process at a time opens: the test reads it only while no worker process has it open).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { field } from '../../src/connectors/snowflake/connection';
import { quoteIdent as sfQuote, tableCommentSql, tableSql as sfTableSql } from '../../src/connectors/snowflake/dialect';
import { stagingRoot } from '../../src/connectors/duckdb/staging';
import { quoteIdent as duckQuote } from '../../src/connectors/duckdb/sql';
import type { ColumnKind } from '../../src/shared';
import { finishPgValue } from './canonical';
import type { Harness } from './harness';
import { scratchDir } from './scratch';

export interface ChaosTarget {
  /** Names the destination in case names: `Snowflake`, `DuckDB`. */
  readonly name: string;
  /** The pipeline document's `destination`. */
  readonly destination: Record<string, unknown>;
  /** Whether the test process may read the target while a worker process writes it (a reader polls then). */
  readonly readableWhileWritten: boolean;
  /** Row count and sums over every row of a chaos table (chaos-rig.ts's columns): equal content, equal text. */
  fingerprint(table: string): Promise<string>;
  /** The table's rows rendered as the harness renders the source's (canonical.ts), sorted. */
  rows(table: string, kinds: ColumnKind['kind'][]): Promise<string[]>;
  /** Shadow tables, stages and anything else of a run that outlived it, each named; none after a clean run. */
  leftovers(): Promise<string[]>;
  /** Whether commits reach a write-ahead log a killed writer leaves for the next open to replay (DuckDB's). */
  readonly hasWal: boolean;
  /** Bytes of that log waiting for replay now: 0 when none (always, for a service that recovers itself). */
  walBytes(): number;
}

const FINGERPRINT_COLUMNS = (quote: (name: string) => string) =>
  `COUNT(*) AS "n", SUM(${quote('id')}) AS "ids", SUM(${quote('qty')}) AS "qty", ` +
  `SUM(LENGTH(${quote('note')})) AS "notes", COUNT(${quote('at')}) AS "ats"`;

/** The harness's own destination, the Snowflake emulator, through the harness's session. */
export class SnowflakeTarget implements ChaosTarget {
  readonly name = 'Snowflake';
  readonly readableWhileWritten = true;

  constructor(private readonly harness: Harness) {}

  get destination(): Record<string, unknown> {
    return this.harness.pipelineDocument(this.harness.config.name)['destination'] as Record<string, unknown>;
  }

  async fingerprint(table: string): Promise<string> {
    const { harness } = this;
    const name = { database: harness.config.destination.database, schema: harness.targetSchema, name: table };
    const [row] = await harness.snowflake.query(`SELECT ${FINGERPRINT_COLUMNS(sfQuote)} FROM ${sfTableSql(name)}`);
    return JSON.stringify(row);
  }

  async rows(table: string, kinds: ColumnKind['kind'][]): Promise<string[]> {
    return (await this.harness.targetRows(table, kinds)).rows;
  }

  async leftovers(): Promise<string[]> {
    const objects = await this.harness.destinationObjects();
    return [
      ...objects.tables.filter((t) => t.includes('__conduit_')).map((t) => `table ${t}`),
      ...objects.stages.map((s) => `stage ${s}`),
    ];
  }

  readonly hasWal = false;

  walBytes(): number {
    return 0;
  }

  /** The target's comment: the marker of the run that last swapped it in. */
  async marker(table: string): Promise<string | undefined> {
    const { harness } = this;
    const rows = await harness.snowflake.query(tableCommentSql(harness.config.destination.database), [
      harness.targetSchema,
      table,
    ]);
    return rows.length === 0 ? undefined : String(field(rows[0], 'comment'));
  }
}

/** DuckDB's rendering of a column, text equal to canonicalPgExpression's for the same value. */
function canonicalDuckDbExpression(column: string, kind: ColumnKind['kind']): string {
  const c = duckQuote(column);
  switch (kind) {
    case 'date':
      return `(${c} - DATE '1970-01-01')::VARCHAR`;
    case 'timestamp':
    case 'timestamptz':
      return `epoch_us(${c})::VARCHAR`;
    case 'time':
      return `strftime(DATE '2000-01-01' + ${c}, '%H:%M:%S.%f')`;
    case 'binary':
      return `lower(hex(${c}))`;
    case 'json':
    case 'array':
      return `to_json(${c})::VARCHAR`;
    default:
      return `${c}::VARCHAR`;
  }
}

/**
 * A DuckDB file in a scratch folder, schema `landing`. The test reads it read-only, opening it for each
 * read and closing it straight after: while a worker process has the file, the open fails on DuckDB's
 * lock and is retried, so call these between runs. A read-only open replays a WAL in memory only,
 * leaving the file as the killed worker left it for the next worker to recover.
 */
export class DuckDbTarget implements ChaosTarget {
  readonly name = 'DuckDB';
  readonly readableWhileWritten = false;
  readonly path = join(scratchDir('chaos-duckdb'), 'warehouse.duckdb');
  readonly schema = 'landing';

  get destination(): Record<string, unknown> {
    return { type: 'duckdb', path: this.path, schema: this.schema };
  }

  /** DuckDB's write-ahead log: committed transactions not yet checkpointed into the file. */
  get walPath(): string {
    return `${this.path}.wal`;
  }

  /** Opens the file read-only, waiting while a worker process holds it (DuckDB's lock); other errors throw. */
  private async open(): Promise<DuckDBInstance> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        return await DuckDBInstance.create(this.path, { access_mode: 'READ_ONLY' });
      } catch (error) {
        if (!/Could not set lock/i.test(String(error)) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  private async read<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const instance = await this.open();
    try {
      const connection = await instance.connect();
      try {
        return await work(connection);
      } finally {
        connection.closeSync();
      }
    } finally {
      instance.closeSync();
    }
  }

  private table(name: string): string {
    return `${duckQuote(this.schema)}.${duckQuote(name)}`;
  }

  fingerprint(table: string): Promise<string> {
    return this.read(async (connection) => {
      const reader = await connection.runAndReadAll(
        `SELECT ${FINGERPRINT_COLUMNS(duckQuote)} FROM ${this.table(table)}`,
      );
      return JSON.stringify(reader.getRowObjectsJson()[0]);
    });
  }

  rows(table: string, kinds: ColumnKind['kind'][]): Promise<string[]> {
    return this.read(async (connection) => {
      const described = await connection.runAndReadAll(
        'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ' +
          'ORDER BY ordinal_position',
        [this.schema, table],
      );
      const columns = described.getRows().map(([name]) => String(name));
      const select = columns.map((name, i) => canonicalDuckDbExpression(name, kinds[i] ?? 'text')).join(', ');
      const reader = await connection.runAndReadAll(`SELECT ${select} FROM ${this.table(table)}`);
      return reader
        .getRows()
        .map((row) =>
          JSON.stringify(
            row.map((value, i) => finishPgValue(value === null ? null : String(value), kinds[i] ?? 'text')),
          ),
        )
        .sort();
    });
  }

  async leftovers(): Promise<string[]> {
    const tables = await this.read(async (connection) => {
      const reader = await connection.runAndReadAll(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ' +
          "AND (contains(table_name, '__conduit_') OR starts_with(table_name, '_conduit_swap_')) ORDER BY 1",
        [this.schema],
      );
      return reader.getRows().map(([name]) => `table ${String(name)}`);
    });
    const folders = existsSync(stagingRoot(this.path)) ? [`staging folder ${stagingRoot(this.path)}`] : [];
    // The last worker to close the file checkpoints it; a WAL left means that close never happened.
    const wal = existsSync(this.walPath) ? [`WAL ${this.walPath}`] : [];
    return [...tables, ...folders, ...wal];
  }

  readonly hasWal = true;

  walBytes(): number {
    return existsSync(this.walPath) ? statSync(this.walPath).size : 0;
  }
}
