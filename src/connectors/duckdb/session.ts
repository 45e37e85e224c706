/**
 * DuckDB behind the destination interface, in process through @duckdb/node-api: each session is a
 * connection on its file's one shared instance (database.ts), staging areas are folders next to the file
 * (staging.ts), and whatever must be atomic is one DuckDB transaction (DDL included, which DuckDB keeps
 * transactional). Errors carry no staged values: DuckDB quotes the offending value or line, which is
 * redacted before a message leaves here.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { DuckDBValue } from '@duckdb/node-api';
import type { Codec } from '../../config/compression';
import type { DuckDbDestination } from '../../config/pipeline';
import {
  STATE_TABLE,
  type BatchShape,
  type CursorState,
  type DestinationSession,
  type FileLoad,
  type SchemaChange,
  type StagedBatch,
  type StateRow,
  type TargetColumn,
} from '../destination';
import { PermanentError } from '../errors';
import { FailureType } from '../../failure-types';
import type { ColumnPlan, QualifiedName } from '../../shared';
import { duckDbCapabilities, foldIdentifier, MAX_CSV_LINE_BYTES, shortHash } from './capabilities';
import { connectDatabase, DEFAULT_DATABASE_SETTINGS, type DatabaseConnection } from './database';
import {
  addColumnSql,
  appendSql,
  columnsSql,
  commentSql,
  createLoadsTableSql,
  createStateTableSql,
  createTableSql,
  deleteStateSql,
  dropNotNullSql,
  evolveStateTableSql,
  forgetLoadsSql,
  insertStateSql,
  listStateSql,
  loadedSql,
  LINE_TOO_LONG,
  loadFileSql,
  LOADS_TABLE,
  mergeSql,
  moveLoadsSql,
  quoteIdent,
  readStateSql,
  recordLoadSql,
  renameSql,
  schemaSql,
  settleFullLoadSql,
  swapLoadsSql,
  tableSql,
  tablesSql,
  widenColumnSql,
  type TableRef,
} from './sql';
import { createStagingFolder, dropStagingFolder, stagedCompression, stagedFile, uploadToStage } from './staging';
import { checkDistinctColumns, cursorStateFrom } from '../table-rows';

export async function openDuckDbSession(config: DuckDbDestination): Promise<DestinationSession> {
  const database = await connectDatabase(config.path, {
    memoryLimit: config.memoryLimit ?? DEFAULT_DATABASE_SETTINGS.memoryLimit,
    threads: config.threads ?? DEFAULT_DATABASE_SETTINGS.threads,
  });
  try {
    const reader = await database.connection.runAndReadAll('SELECT current_database()');
    return new DuckDbSession(database, String(reader.getRows()[0]?.[0]));
  } catch (error) {
    database.release();
    throw error;
  }
}

type Row = Record<string, DuckDBValue>;

function text(value: DuckDBValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

class DuckDbSession implements DestinationSession {
  readonly capabilities = duckDbCapabilities;
  private closed = false;

  constructor(
    private readonly database: DatabaseConnection,
    /** The file's catalog name, which qualifies every table (sql.ts). */
    private readonly catalog: string,
  ) {}

  isUp(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.database.release();
  }

  async version(): Promise<string> {
    const [row] = await this.rows('SELECT version() AS "version"');
    return `DuckDB ${text(row?.version) ?? '?'}`;
  }

  private ref(name: QualifiedName): TableRef {
    return { catalog: this.catalog, schema: name.schema, name: name.name };
  }

  private async rows(sql: string, values?: DuckDBValue[]): Promise<Row[]> {
    const reader = await this.database.connection.runAndReadAll(sql, values);
    return reader.getRowObjects();
  }

  /** Runs one statement; the rows it changed. */
  private async run(sql: string, values?: DuckDBValue[]): Promise<number> {
    const result = await this.database.connection.run(sql, values);
    return result.rowsChanged;
  }

  private async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.run('BEGIN TRANSACTION');
    try {
      const result = await work();
      await this.run('COMMIT');
      return result;
    } catch (error) {
      // A failed COMMIT has rolled back already; the ROLLBACK then finds no transaction.
      await this.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** The table as DuckDB resolves the name (ASCII case folded), with its comment; undefined when absent. */
  private async findTable(name: QualifiedName): Promise<{ comment: string | null } | undefined> {
    const rows = await this.rows(tablesSql(), [name.schema, name.name]);
    const found = rows.find(
      (row) =>
        foldIdentifier(String(row.schema)) === foldIdentifier(name.schema) &&
        foldIdentifier(String(row.name)) === foldIdentifier(name.name),
    );
    return found ? { comment: text(found.comment) } : undefined;
  }

  ensureNamespace(schema: string): Promise<void> {
    return this.inSchemaQueue(schema, async () => {
      await this.run(`CREATE SCHEMA IF NOT EXISTS ${schemaSql(this.catalog, schema)}`);
    });
  }

  /**
   * Catalog changes of one schema made by this process one at a time: DuckDB fails the second of two
   * concurrent CREATE … IF NOT EXISTS of one object with a write-write conflict instead of waiting.
   */
  private inSchemaQueue<T>(schema: string, work: () => Promise<T>): Promise<T> {
    return this.database.exclusive(`schema\0${foldIdentifier(schema)}`, work);
  }

  async createStagingArea(stage: QualifiedName): Promise<void> {
    await createStagingFolder(this.database.path, stage);
  }

  async dropStagingArea(stage: QualifiedName): Promise<void> {
    await dropStagingFolder(this.database.path, stage);
  }

  async upload(stage: QualifiedName, localFile: string, codec: Codec): Promise<void> {
    await uploadToStage(this.database.path, stage, localFile, codec);
  }

  private loadsRef(schema: string): TableRef {
    return this.ref({ schema, name: LOADS_TABLE });
  }

  private async ensureLoadsTable(schema: string): Promise<TableRef> {
    const loads = this.loadsRef(schema);
    await this.inSchemaQueue(schema, async () => {
      if (!(await this.findTable(loads))) await this.run(createLoadsTableSql(loads));
    });
    return loads;
  }

  async createTable(table: QualifiedName, columns: ColumnPlan[], marker: string): Promise<void> {
    checkDistinctColumns(table, columns, foldIdentifier, 'DuckDB', quoteIdent);
    const loads = await this.ensureLoadsTable(table.schema);
    const ref = this.ref(table);
    await this.transaction(async () => {
      await this.run(createTableSql(ref, columns));
      await this.run(commentSql(ref, marker));
      // A new table has loaded nothing, whatever a dropped one of its name had.
      await this.run(forgetLoadsSql(loads), [table.name]);
    });
  }

  async dropTable(table: QualifiedName): Promise<void> {
    if (!(await this.findTable(table))) return;
    const loads = await this.ensureLoadsTable(table.schema);
    await this.transaction(async () => {
      await this.run(`DROP TABLE IF EXISTS ${tableSql(this.ref(table))}`);
      await this.run(forgetLoadsSql(loads), [table.name]);
    });
  }

  async tableMarker(table: QualifiedName): Promise<string | undefined> {
    const found = await this.findTable(table);
    return found ? (found.comment ?? '') : undefined;
  }

  /**
   * One transaction per file: its rows and its record in the loads table commit together, so a file is
   * either loaded and recorded or neither, and a repeated load finds the record and skips the file.
   * Loads of one table queue in this process (the check and the insert must not interleave); another
   * process cannot write the file at all.
   */
  async loadFiles(
    table: QualifiedName,
    columns: ColumnPlan[],
    stage: QualifiedName,
    files: string[],
  ): Promise<FileLoad[]> {
    const loads = await this.ensureLoadsTable(table.schema);
    const queue = `load\0${foldIdentifier(table.schema)}\0${foldIdentifier(table.name)}`;
    const results: FileLoad[] = [];
    for (const file of files) {
      const path = stagedFile(this.database.path, stage, file);
      const compression = stagedCompression(file);
      const load = (lineBytes: number | undefined) =>
        this.transaction(async (): Promise<FileLoad> => {
          if ((await this.rows(loadedSql(loads), [table.name, file])).length > 0)
            return { file, status: 'skipped', rows: 0 };
          if (!existsSync(path)) {
            throw new PermanentError(
              `staged file ${file} is not in the staging area ${stage.schema}.${stage.name} (${path})`,
              FailureType.LoadFailed,
            );
          }
          const sql = loadFileSql(this.ref(table), columns, lineBytes);
          const rows = await this.run(sql, [path, compression]).catch((error: unknown) => {
            if (lineBytes !== MAX_CSV_LINE_BYTES && LINE_TOO_LONG.test(String(error))) throw new LongLines();
            throw loadFailure(error, file, table, columns);
          });
          await this.run(recordLoadSql(loads), [table.name, file, rows]);
          return { file, status: 'loaded', rows };
        });
      // Each try's transaction is rolled back before the next starts, with longer lines.
      const result = await this.database.exclusive(queue, async () => {
        for (const lineBytes of LINE_SIZES.slice(0, -1)) {
          try {
            return await load(lineBytes);
          } catch (error) {
            if (!(error instanceof LongLines)) throw error;
          }
        }
        // DuckDB allocates a buffer of the line size, beyond the memory limit of ordinary loads.
        return this.database.withMemoryLimit(LONGEST_LINES_MEMORY, () => load(MAX_CSV_LINE_BYTES));
      });
      results.push(result);
    }
    return results;
  }

  async countRows(table: QualifiedName): Promise<number> {
    const [row] = await this.rows(`SELECT count(*) AS "rows" FROM ${tableSql(this.ref(table))}`);
    return Number(row?.rows);
  }

  /**
   * Three renames in one transaction (target aside, shadow in, old target to the shadow's name): readers
   * see the old table or the new one. The tables' load records and markers go with them.
   */
  async replaceTable(target: QualifiedName, shadow: QualifiedName, targetExists: boolean): Promise<void> {
    if (foldIdentifier(target.schema) !== foldIdentifier(shadow.schema)) {
      throw new Error(`${shadow.schema}.${shadow.name} must be in the schema of ${target.schema}.${target.name}`);
    }
    const loads = await this.ensureLoadsTable(target.schema);
    const targetRef = this.ref(target);
    const shadowRef = this.ref(shadow);
    await this.transaction(async () => {
      if (!targetExists) {
        await this.run(renameSql(shadowRef, target.name));
        await this.run(forgetLoadsSql(loads), [target.name]);
        await this.run(moveLoadsSql(loads), [shadow.name, target.name]);
        return;
      }
      const aside = this.ref({
        schema: target.schema,
        name: `_conduit_swap_${shortHash(`${target.name}\0${shadow.name}`)}`,
      });
      await this.run(`DROP TABLE IF EXISTS ${tableSql(aside)}`);
      await this.run(renameSql(targetRef, aside.name));
      await this.run(renameSql(shadowRef, target.name));
      await this.run(renameSql(aside, shadow.name));
      await this.run(swapLoadsSql(loads), [target.name, shadow.name]);
    });
  }

  private stateRef(schema: string): TableRef {
    return this.ref({ schema, name: STATE_TABLE });
  }

  async ensureStateTable(schema: string): Promise<void> {
    const state = this.stateRef(schema);
    await this.inSchemaQueue(schema, async () => {
      if (!(await this.findTable(state))) await this.run(createStateTableSql(state));
    });
    await this.evolveStateTable(schema);
  }

  /** Adds SNAPSHOT_XMIN to a state table an older worker made, only when missing (no DDL otherwise). */
  private async evolveStateTable(schema: string): Promise<void> {
    const columns = await this.readColumns(this.stateRef(schema));
    if (columns.length === 0 || columns.some((c) => foldIdentifier(c.name) === 'snapshot_xmin')) return;
    await this.inSchemaQueue(schema, () => this.run(evolveStateTableSql(this.stateRef(schema))));
  }

  async readState(schema: string, table: string): Promise<CursorState | undefined> {
    if (!(await this.findTable(this.stateRef(schema)))) return undefined;
    await this.evolveStateTable(schema);
    const [row] = await this.rows(readStateSql(this.stateRef(schema)), [table]);
    return row ? cursorStateFrom(row, text) : undefined;
  }

  async listState(schema: string): Promise<CursorState[]> {
    // A schema that never ran an incremental table has no state table: no state, not an error.
    if (!(await this.findTable(this.stateRef(schema)))) return [];
    await this.evolveStateTable(schema);
    return (await this.rows(listStateSql(this.stateRef(schema)))).map((row) => cursorStateFrom(row, text));
  }

  async commitBatch(schema: string, state: StateRow, batch?: StagedBatch): Promise<void> {
    const stateRef = this.stateRef(schema);
    await this.evolveStateTable(schema);
    await this.transaction(async () => {
      if (batch) {
        const target = this.ref(batch.target);
        const staging = this.ref(batch.staging);
        const statements =
          batch.shape.mode === 'incremental_append'
            ? [appendSql(target, staging, batch.shape)]
            : mergeSql(target, staging, batch.shape);
        for (const statement of statements) await this.run(statement);
      }
      await this.run(deleteStateSql(stateRef), [state.table]);
      await this.run(insertStateSql(stateRef), [
        state.table,
        state.source,
        state.mode,
        state.cursor,
        state.marker,
        state.snapshotXmin,
      ]);
    });
  }

  async settleFullLoad(staging: QualifiedName, shape: BatchShape): Promise<void> {
    const scratch = `_conduit_settle_${randomBytes(6).toString('hex')}`;
    await this.transaction(async () => {
      for (const statement of settleFullLoadSql(this.ref(staging), shape, scratch)) await this.run(statement);
    });
  }

  async readColumns(table: QualifiedName): Promise<TargetColumn[]> {
    const rows = await this.rows(columnsSql(), [table.schema, table.name]);
    const matching = rows.filter(
      (row) =>
        foldIdentifier(String(row.schema)) === foldIdentifier(table.schema) &&
        foldIdentifier(String(row.table)) === foldIdentifier(table.name),
    );
    return matching.map((row) => {
      const type = String(row.type).replace(/\(.*$/, '');
      const decimal = type === 'DECIMAL';
      return {
        name: String(row.name),
        type,
        precision: decimal ? Number(row.precision) : undefined,
        scale: decimal ? Number(row.scale) : undefined,
        nullable: row.nullable === true,
      };
    });
  }

  async evolve(table: QualifiedName, change: SchemaChange): Promise<void> {
    const ref = this.ref(table);
    switch (change.kind) {
      case 'add':
        await this.run(addColumnSql(ref, change.column));
        return;
      case 'widen':
        await this.run(widenColumnSql(ref, change.column));
        return;
      case 'drop-not-null':
        await this.run(dropNotNullSql(ref, change.column));
        return;
      case 'source-dropped':
        return; // the column stays; rows written from now on hold NULL in it
    }
  }
}

/** A staged file with a row longer than DuckDB's default line: loaded again with long lines. */
class LongLines extends Error {}

/**
 * Line sizes a staged file is read with, each only when the one before was too short: DuckDB's default
 * (2 MB, the fastest), 64 MB (within the default memory limit), then the largest row a staged file may hold.
 */
const LINE_SIZES = [undefined, 64 * 1024 * 1024, MAX_CSV_LINE_BYTES] as const;

/** memory_limit while a file with rows over 64 MB loads. */
const LONGEST_LINES_MEMORY = '4GB';

/**
 * A load's error without the staged values DuckDB quotes in it (the offending value, the original CSV
 * line): the first line of the message, quoted spans elided, positional fields named by their column.
 * Conversion and CSV errors come back on every retry, so they are permanent. No `cause`: it would carry
 * the unredacted message into the failure.
 */
function loadFailure(error: unknown, file: string, table: QualifiedName, columns: ColumnPlan[]): Error {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split('\n');
  const kept = [lines[0] ?? '', ...lines.filter((line) => line.startsWith('Expected Number of Columns'))];
  const redacted = kept
    .join('; ')
    .replace(/\bInput: .*$/, 'Input: …')
    .replace(/'[^']*'/g, "'…'")
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\b(?:source column|field) f(\d+)\b/g, (whole, position: string) => {
      const column = columns[Number(position) - 1];
      return column ? `column ${quoteIdent(column.target)}` : whole;
    });
  const text = `loading staged file ${file} into ${table.schema}.${table.name} failed: ${redacted}`;
  return /^(Conversion|Invalid Input) Error/.test(message)
    ? new PermanentError(text, FailureType.LoadFailed)
    : new Error(text);
}
