/**
 * Snowflake behind the destination interface: each operation is the dialect's SQL on one session,
 * through `withPrivilege` wherever a missing grant should fail naming it (docs/security.md).
 */
import type { Codec } from '../../config/compression';
import type { SnowflakeDestination } from '../../config/pipeline';
import { PermanentError } from '../errors';
import { FailureType } from '../../failure-types';
import type { ColumnPlan, QualifiedName } from '../../shared';
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
import { snowflakeCapabilities } from './capabilities';
import { connectSnowflake, field, valueText, type SnowflakeSession } from './connection';
import {
  copyIntoSql,
  countRowsSql,
  dropStageSql,
  dropTableSql,
  MAX_FILES_PER_COPY,
  putFileSql,
  renameSql,
  swapSql,
  tableCommentSql,
  tableRef,
  tableSql,
  type TableRef,
} from './dialect';
import {
  addColumnSql,
  appendSql,
  dropNotNullSql,
  listStateSql,
  mergeSql,
  settleFullLoadSql,
  targetColumnsSql,
  widenColumnSql,
} from './incremental-sql';
import { withPrivilege } from './privileges';
import { createShadowTable, createStage, createStateTable, ensureSchema } from './run-objects';
import { evolveStateTable, inTransaction, readState, stateFromRow, writeState } from './state';

export async function openSnowflakeSession(config: SnowflakeDestination): Promise<DestinationSession> {
  return new SnowflakeDestinationSession(await connectSnowflake(config), config.database);
}

class SnowflakeDestinationSession implements DestinationSession {
  readonly capabilities = snowflakeCapabilities;

  constructor(
    private readonly session: SnowflakeSession,
    private readonly database: string,
  ) {}

  isUp(): boolean {
    return this.session.isUp();
  }

  close(): Promise<void> {
    return this.session.close();
  }

  async version(): Promise<string> {
    // The emulator has no CURRENT_VERSION(); a session that answers a query is what matters.
    const rows = await this.session
      .query('SELECT CURRENT_VERSION() AS "version"')
      .catch(() => this.session.query('SELECT 1 AS "version"').then(() => []));
    const [row] = rows;
    return row ? `Snowflake ${valueText(field(row, 'version')) ?? '?'}` : 'answered a query';
  }

  private ref(name: QualifiedName): TableRef {
    return tableRef(this.database, name);
  }

  private stateRef(schema: string): TableRef {
    return this.ref({ schema, name: STATE_TABLE });
  }

  ensureNamespace(schema: string): Promise<void> {
    return ensureSchema(this.session, this.database, schema);
  }

  createStagingArea(stage: QualifiedName): Promise<void> {
    return createStage(this.session, this.ref(stage));
  }

  async dropStagingArea(stage: QualifiedName): Promise<void> {
    await this.session.query(dropStageSql(this.ref(stage)));
  }

  async upload(stage: QualifiedName, localFile: string, codec: Codec): Promise<void> {
    await this.session.query(putFileSql(localFile, codec, this.ref(stage)));
  }

  createTable(table: QualifiedName, columns: ColumnPlan[], marker: string): Promise<void> {
    return createShadowTable(this.session, this.ref(table), columns, marker);
  }

  async dropTable(table: QualifiedName): Promise<void> {
    await this.session.query(dropTableSql(this.ref(table)));
  }

  async tableMarker(table: QualifiedName): Promise<string | undefined> {
    const [row] = await this.session.query(tableCommentSql(this.database), [table.schema, table.name]);
    return row ? (valueText(field(row, 'comment')) ?? '') : undefined;
  }

  async loadFiles(
    table: QualifiedName,
    columns: ColumnPlan[],
    stage: QualifiedName,
    files: string[],
  ): Promise<FileLoad[]> {
    const loads: FileLoad[] = [];
    for (let start = 0; start < files.length; start += MAX_FILES_PER_COPY) {
      const chunk = files.slice(start, start + MAX_FILES_PER_COPY);
      const rows = await this.session
        .query(copyIntoSql(this.ref(table), columns, this.ref(stage), chunk))
        .catch((error: unknown) => {
          throw copyFailure(error, chunk, table);
        });
      const results = new Map<string, FileLoad>();
      for (const row of rows) {
        const file = valueText(field(row, 'file'));
        if (file === null) continue;
        const status = (valueText(field(row, 'status')) ?? '').toUpperCase();
        // Snowflake names the file by its path in the stage; the emulator prefixes the stage's name.
        const name = chunk.find((requested) => file === requested || file.endsWith(`/${requested}`)) ?? file;
        const rowsLoaded = Number(field(row, 'rows_loaded') ?? 0);
        if (status === 'LOADED') results.set(name, { file: name, status: 'loaded', rows: rowsLoaded });
        else if (status === 'LOAD_SKIPPED') results.set(name, { file: name, status: 'skipped', rows: 0 });
        else
          throw new PermanentError(
            `loading ${file} into ${table.schema}.${table.name} ended with ` +
              `status ${status}: ${valueText(field(row, 'first_error')) ?? ''}`,
            FailureType.LoadFailed,
          );
      }
      // Snowflake leaves files its load metadata skips out of the result (all of them: one row
      // "Copy executed with 0 files processed."): a requested file not listed was loaded before.
      for (const file of chunk) loads.push(results.get(file) ?? { file, status: 'skipped', rows: 0 });
    }
    return loads;
  }

  async countRows(table: QualifiedName): Promise<number> {
    const [row] = await this.session.query(countRowsSql(this.ref(table)));
    return Number(field(row, 'rows'));
  }

  async replaceTable(target: QualifiedName, shadow: QualifiedName, targetExists: boolean): Promise<void> {
    const targetRef = this.ref(target);
    const shadowRef = this.ref(shadow);
    // SWAP needs OWNERSHIP of both tables and RENAME of the shadow; this run's role created the shadow.
    const owned = targetExists ? targetRef : shadowRef;
    await withPrivilege(this.session, { privilege: 'OWNERSHIP', kind: 'TABLE', object: tableSql(owned) }, () =>
      this.session.query(targetExists ? swapSql(targetRef, shadowRef) : renameSql(shadowRef, targetRef)),
    );
  }

  async ensureStateTable(schema: string): Promise<void> {
    await createStateTable(this.session, this.stateRef(schema));
    await evolveStateTable(this.session, this.stateRef(schema));
  }

  async readState(schema: string, table: string): Promise<CursorState | undefined> {
    // A schema that never ran an incremental table has no state table: no state, not an error.
    if ((await this.readColumns({ schema, name: STATE_TABLE })).length === 0) return undefined;
    return readState(this.session, this.stateRef(schema), table);
  }

  async listState(schema: string): Promise<CursorState[]> {
    // A schema that never ran an incremental table has no state table: no state, not an error.
    if ((await this.readColumns({ schema, name: STATE_TABLE })).length === 0) return [];
    await evolveStateTable(this.session, this.stateRef(schema));
    const rows = await this.session.query(listStateSql(this.stateRef(schema)));
    return rows.map(stateFromRow);
  }

  async commitBatch(schema: string, state: StateRow, batch?: StagedBatch): Promise<void> {
    const stateRef = this.stateRef(schema);
    // A run an older worker prepared may find a state table without the newer columns (DDL: before BEGIN).
    await evolveStateTable(this.session, stateRef);
    await inTransaction(this.session, async () => {
      if (batch) await this.session.query(applySql(this.ref(batch.target), this.ref(batch.staging), batch.shape));
      await writeState(this.session, stateRef, state);
    });
  }

  async settleFullLoad(staging: QualifiedName, shape: BatchShape): Promise<void> {
    await this.session.query(settleFullLoadSql(this.ref(staging), shape));
  }

  async readColumns(table: QualifiedName): Promise<TargetColumn[]> {
    const rows = await this.session.query(targetColumnsSql(this.database), [table.schema, table.name]);
    const number = (value: unknown) => (value === null || value === undefined ? undefined : Number(value));
    return rows.map((row) => ({
      name: String(field(row, 'name')),
      type: String(field(row, 'type')),
      length: number(field(row, 'length')),
      precision: number(field(row, 'precision')),
      scale: number(field(row, 'scale')),
      nullable: String(field(row, 'nullable')).toUpperCase() === 'YES',
    }));
  }

  /** ALTER TABLE needs OWNERSHIP. */
  async evolve(table: QualifiedName, change: SchemaChange): Promise<void> {
    const ref = this.ref(table);
    const sql = changeSql(ref, change);
    if (sql === undefined) return;
    await withPrivilege(this.session, { privilege: 'OWNERSHIP', kind: 'TABLE', object: tableSql(ref) }, () =>
      this.session.query(sql),
    );
  }
}

/** SQLSTATE class 22 (data exception) and Snowflake's 100xxx codes: a staged value the column refuses. */
function isDataError(error: unknown): boolean {
  const cause = sdkFailure(error);
  return (cause?.sqlState ?? '').startsWith('22') || /^100\d{3}$/.test(String(cause?.code ?? ''));
}

/** The SDK's error, which the session's error keeps as its cause (connection.ts). */
function sdkFailure(error: unknown): { code?: string | number; sqlState?: string } | undefined {
  return error instanceof Error
    ? (error.cause as { code?: string | number; sqlState?: string } | undefined)
    : undefined;
}

/**
 * A COPY that refuses the data fails for good (the same file fails again) and names its files. Snowflake's
 * message is left out: it quotes the refused value, which may be anything the source holds.
 */
function copyFailure(error: unknown, files: string[], table: QualifiedName): unknown {
  if (!isDataError(error)) return error;
  const cause = sdkFailure(error);
  const named = files.length <= 3 ? files.join(', ') : `${files.slice(0, 3).join(', ')} and ${files.length - 3} more`;
  return new PermanentError(
    `loading ${named} into ${table.schema}.${table.name}: a staged value does not fit its column ` +
      `(Snowflake error ${String(cause?.code)}, SQLSTATE ${String(cause?.sqlState)}; its message is not repeated ` +
      'because it quotes the value)',
    FailureType.LoadFailed,
  );
}

function applySql(target: TableRef, staging: TableRef, shape: BatchShape): string {
  return shape.mode === 'incremental_append'
    ? appendSql(target, staging, shape.columns, shape.identity, shape.cursor)
    : mergeSql(target, staging, shape);
}

function changeSql(target: TableRef, change: SchemaChange): string | undefined {
  switch (change.kind) {
    case 'add':
      return addColumnSql(target, change.column);
    case 'widen':
      return widenColumnSql(target, change.column);
    case 'drop-not-null':
      return dropNotNullSql(target, change.column);
    case 'source-dropped':
      return undefined; // the column stays; rows written from now on hold NULL in it
  }
}
