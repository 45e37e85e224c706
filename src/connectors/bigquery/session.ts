/**
 * BigQuery behind the destination interface, through the official client: staged files are loaded by
 * load jobs (media upload) into a scratch table of STRING columns and moved into their table with exact
 * casts in one multi-statement transaction together with the file's load record; a replace is a copy
 * job with WRITE_TRUNCATE (atomic for readers); a batch and its state row commit in one transaction.
 * Markers are a table label. See docs/bigquery-emulator.md.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { BigQuery, Dataset, Table, TableField, TableMetadata } from '@google-cloud/bigquery';
import type { Codec } from '../../config/compression';
import type { BigQueryDestination } from '../../config/pipeline';
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
import { bigQueryCapabilities, bigQueryType, foldColumnName, shortHash } from './capabilities';
import { createClient, redacted, runQuery, type Params, type Row } from './client';
import {
  appendSql,
  createLoadsTableSql,
  createStateTableSql,
  evolveStateTableSql,
  fieldName,
  forgetLoadsSql,
  listStateSql,
  loadedSql,
  loadFileScript,
  LOADS_TABLE,
  mergeSql,
  moveLoadsScript,
  quoteIdent,
  readStateSql,
  settleFullLoadScript,
  tableSql,
  widenColumnSql,
  writeStateSql,
  type TableRef,
} from './sql';
import { createStagingFolder, dropStagingFolder, stagedFile, uploadToStage } from './staging';
import { checkDistinctColumns, cursorStateFrom } from '../table-rows';

/** The label holding a table's run marker (labels survive copies and are not the user's description). */
export const MARKER_LABEL = 'conduit_marker';
const MAX_LABEL_VALUE = 63;

/**
 * Label values hold lowercase letters, digits, `_` and `-` (at most 63): other characters, and `_`
 * itself, are written `_` and two hex digits per UTF-8 byte, so the marker reads back exactly.
 */
export function markerLabel(marker: string): string {
  const encoded = [...Buffer.from(marker, 'utf8')]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[a-z0-9-]/.test(char) ? char : `_${byte.toString(16).padStart(2, '0')}`;
    })
    .join('');
  if (encoded.length > MAX_LABEL_VALUE) throw new Error(`the run marker "${marker}" is too long for a label`);
  return encoded;
}

export function markerFromLabel(label: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < label.length; i++) {
    if (label[i] === '_') {
      bytes.push(parseInt(label.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(label.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

export async function openBigQuerySession(config: BigQueryDestination): Promise<DestinationSession> {
  return new BigQuerySession(createClient(config), config);
}

/** BigQuery's answer for a missing table or dataset. */
function notFound(error: unknown): boolean {
  return (error as { code?: unknown }).code === 404;
}

/** State rows are STRING columns (and FORMAT_TIMESTAMP's text): strings or NULL. */
function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A table field for a planned column (types as the tables API spells them, parameters apart). */
function tableField(column: ColumnPlan): TableField {
  const type = bigQueryType(column.type);
  const [base = type, precision, scale] = type.replace(/\)$/, '').split(/[(,]/);
  return {
    name: column.target,
    type: base,
    mode: column.nullable ? 'NULLABLE' : 'REQUIRED',
    ...(precision !== undefined ? { precision, scale: scale ?? '0' } : {}),
  };
}

class BigQuerySession implements DestinationSession {
  readonly capabilities = bigQueryCapabilities;
  private closed = false;

  constructor(
    private readonly client: BigQuery,
    private readonly config: BigQueryDestination,
  ) {}

  isUp(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async version(): Promise<string> {
    await this.query('SELECT 1 AS answer');
    return `BigQuery (project ${this.config.project})`;
  }

  private query(sql: string, params?: Params): Promise<Row[]> {
    return runQuery(this.client, sql, params).catch((error: unknown) => {
      throw redacted(error, 'BigQuery query failed');
    });
  }

  private ref(name: QualifiedName): TableRef {
    return { project: this.config.project, dataset: name.schema, name: name.name };
  }

  private dataset(name: string): Dataset {
    return this.client.dataset(name, { projectId: this.config.project });
  }

  private table(name: QualifiedName): Table {
    return this.dataset(name.schema).table(name.name);
  }

  private async metadata(name: QualifiedName): Promise<TableMetadata | undefined> {
    try {
      const response = await this.table(name).getMetadata();
      return response[0] as TableMetadata;
    } catch (error) {
      if (notFound(error)) return undefined;
      throw redacted(error, `reading ${name.schema}.${name.name}`);
    }
  }

  async ensureNamespace(schema: string): Promise<void> {
    const dataset = this.dataset(schema);
    const [exists] = await dataset.exists();
    if (exists) return;
    try {
      await dataset.create(this.config.location !== undefined ? { location: this.config.location } : {});
    } catch (error) {
      // Another session created it first.
      if ((error as { code?: unknown }).code !== 409) throw redacted(error, `creating dataset ${schema}`);
    }
  }

  createStagingArea(stage: QualifiedName): Promise<void> {
    return createStagingFolder(this.config.project, stage);
  }

  dropStagingArea(stage: QualifiedName): Promise<void> {
    return dropStagingFolder(this.config.project, stage);
  }

  upload(stage: QualifiedName, localFile: string, codec: Codec): Promise<void> {
    return uploadToStage(this.config.project, stage, localFile, codec);
  }

  private loadsRef(schema: string): TableRef {
    return this.ref({ schema, name: LOADS_TABLE });
  }

  private async ensureLoadsTable(schema: string): Promise<TableRef> {
    const loads = this.loadsRef(schema);
    if (!(await this.metadata({ schema, name: LOADS_TABLE }))) await this.query(createLoadsTableSql(loads));
    return loads;
  }

  /** Replaces any table of the name: created through the tables API, which sets its labels with it. */
  async createTable(table: QualifiedName, columns: ColumnPlan[], marker: string): Promise<void> {
    checkDistinctColumns(table, columns, foldColumnName, 'BigQuery', quoteIdent);
    const loads = await this.ensureLoadsTable(table.schema);
    await this.table(table).delete({ ignoreNotFound: true });
    try {
      await this.dataset(table.schema).createTable(table.name, {
        schema: { fields: columns.map(tableField) },
        labels: { [MARKER_LABEL]: markerLabel(marker) },
      });
    } catch (error) {
      throw redacted(error, `creating ${table.schema}.${table.name}`);
    }
    // A new table has loaded nothing, whatever a dropped one of its name had.
    await this.query(forgetLoadsSql(loads), { table: table.name });
  }

  async dropTable(table: QualifiedName): Promise<void> {
    if (!(await this.metadata(table))) return;
    await this.table(table).delete({ ignoreNotFound: true });
    if (await this.metadata({ schema: table.schema, name: LOADS_TABLE }))
      await this.query(forgetLoadsSql(this.loadsRef(table.schema)), { table: table.name });
  }

  async tableMarker(table: QualifiedName): Promise<string | undefined> {
    const metadata = await this.metadata(table);
    if (!metadata) return undefined;
    const label = metadata.labels?.[MARKER_LABEL];
    return label === undefined ? '' : markerFromLabel(label);
  }

  /**
   * Per file: skipped when the table's load records name it; else a load job into a scratch table of
   * STRING columns (an unquoted empty field is NULL, `""` the empty string), then one transaction
   * inserts the typed rows and the record. The scratch table is dropped on every path.
   */
  async loadFiles(
    table: QualifiedName,
    columns: ColumnPlan[],
    stage: QualifiedName,
    files: string[],
  ): Promise<FileLoad[]> {
    const loads = await this.ensureLoadsTable(table.schema);
    const results: FileLoad[] = [];
    for (const file of files) {
      if ((await this.query(loadedSql(loads), { table: table.name, file })).length > 0) {
        results.push({ file, status: 'skipped', rows: 0 });
        continue;
      }
      const path = stagedFile(this.config.project, stage, file);
      if (!existsSync(path)) {
        throw new PermanentError(
          `staged file ${file} is not in the staging area ${stage.schema}.${stage.name} (${path})`,
          FailureType.LoadFailed,
        );
      }
      const scratch: QualifiedName = {
        schema: table.schema,
        name: `_conduit_load_${shortHash(`${table.name}\0${file}`)}_${randomBytes(4).toString('hex')}`,
      };
      try {
        const rows = await this.loadScratch(scratch, path, columns.length, file, table);
        try {
          await runQuery(this.client, loadFileScript(this.ref(table), this.ref(scratch), loads, columns, file));
        } catch (error) {
          throw loadFailure(error, file, table);
        }
        results.push({ file, status: 'loaded', rows });
      } finally {
        await this.table(scratch).delete({ ignoreNotFound: true });
      }
    }
    return results;
  }

  private async loadScratch(
    scratch: QualifiedName,
    path: string,
    fields: number,
    file: string,
    table: QualifiedName,
  ): Promise<number> {
    try {
      const [job] = await this.table(scratch).load(path, {
        sourceFormat: 'CSV',
        schema: { fields: Array.from({ length: fields }, (_, i) => ({ name: fieldName(i), type: 'STRING' })) },
        createDisposition: 'CREATE_IF_NEEDED',
        writeDisposition: 'WRITE_TRUNCATE',
        skipLeadingRows: 0,
        fieldDelimiter: ',',
        quote: '"',
        allowQuotedNewlines: true,
        preserveAsciiControlCharacters: true,
        encoding: 'UTF-8',
        maxBadRecords: 0,
      });
      const output = job.statistics?.load?.outputRows;
      return output !== undefined ? Number(output) : await this.countRows(scratch);
    } catch (error) {
      throw loadFailure(error, file, table);
    }
  }

  async countRows(table: QualifiedName): Promise<number> {
    const [row] = await this.query(`SELECT COUNT(*) AS row_count FROM ${tableSql(this.ref(table))}`);
    return Number(row?.row_count);
  }

  /**
   * A copy job with WRITE_TRUNCATE puts the shadow's rows and schema in the target's place; BigQuery
   * applies it atomically (readers see the old rows or the new). The target keeps its description, labels,
   * column descriptions and policy tags; its marker label becomes the shadow's last, so a swap repeated after
   * a crash copies again.
   */
  async replaceTable(target: QualifiedName, shadow: QualifiedName, targetExists: boolean): Promise<void> {
    const shadowMetadata = await this.metadata(shadow);
    const marker = shadowMetadata?.labels?.[MARKER_LABEL];
    if (marker === undefined) throw new Error(`${shadow.schema}.${shadow.name} is not a marked shadow table`);
    const before = targetExists ? await this.metadata(target) : undefined;
    await this.carryColumnMetadata(shadow, before?.schema?.fields ?? []);
    try {
      const [job] = await this.table(shadow).copy(this.table(target), {
        createDisposition: 'CREATE_IF_NEEDED',
        writeDisposition: 'WRITE_TRUNCATE',
      });
      if (job.status?.errorResult) throw new Error(job.status.errorResult.message ?? 'the copy job failed');
    } catch (error) {
      throw redacted(error, `replacing ${target.schema}.${target.name}`);
    }
    const loads = await this.ensureLoadsTable(target.schema);
    await this.query(moveLoadsScript(loads, target.name, shadow.name));
    await this.table(target).setMetadata({
      ...(before?.description !== undefined ? { description: before.description } : {}),
      labels: { ...(before?.labels ?? {}), [MARKER_LABEL]: marker },
    });
  }

  /**
   * WRITE_TRUNCATE gives the target the shadow's schema: the target's column descriptions and policy tags
   * are put on the shadow's columns of the same name first, so the copy keeps them.
   */
  private async carryColumnMetadata(shadow: QualifiedName, targetFields: TableField[]): Promise<void> {
    const kept = new Map(
      targetFields
        .filter((f) => f.description !== undefined || f.policyTags !== undefined)
        .map((f) => [foldColumnName(f.name ?? ''), f]),
    );
    if (kept.size === 0) return;
    await this.patchFields(shadow, (fields) =>
      fields.map((field) => {
        const from = kept.get(foldColumnName(field.name ?? ''));
        if (!from) return field;
        return {
          ...field,
          ...(from.description !== undefined ? { description: from.description } : {}),
          ...(from.policyTags !== undefined ? { policyTags: from.policyTags } : {}),
        };
      }),
    );
  }

  private stateRef(schema: string): TableRef {
    return this.ref({ schema, name: STATE_TABLE });
  }

  async ensureStateTable(schema: string): Promise<void> {
    await this.query(createStateTableSql(this.stateRef(schema)));
    await this.evolveStateTable(schema);
  }

  /** Adds SNAPSHOT_XMIN to a state table an older worker made, only when missing (no DDL otherwise). */
  private async evolveStateTable(schema: string): Promise<boolean> {
    const columns = await this.readColumns({ schema, name: STATE_TABLE });
    if (columns.length === 0) return false;
    if (!columns.some((c) => foldColumnName(c.name) === 'snapshot_xmin'))
      await this.query(evolveStateTableSql(this.stateRef(schema)));
    return true;
  }

  async readState(schema: string, table: string): Promise<CursorState | undefined> {
    if (!(await this.evolveStateTable(schema))) return undefined;
    const [row] = await this.query(readStateSql(this.stateRef(schema)), { table });
    return row ? cursorStateFrom(row, text) : undefined;
  }

  async listState(schema: string): Promise<CursorState[]> {
    // A dataset that never ran an incremental table has no state table: no state, not an error.
    if (!(await this.evolveStateTable(schema))) return [];
    return (await this.query(listStateSql(this.stateRef(schema)))).map((row) => cursorStateFrom(row, text));
  }

  async commitBatch(schema: string, state: StateRow, batch?: StagedBatch): Promise<void> {
    await this.evolveStateTable(schema);
    const statements: string[] = [];
    if (batch) {
      const target = this.ref(batch.target);
      const staging = this.ref(batch.staging);
      if (batch.shape.mode === 'incremental_append') statements.push(appendSql(target, staging, batch.shape));
      else statements.push(...mergeSql(target, staging, batch.shape));
    }
    statements.push(...writeStateSql(this.stateRef(schema), state));
    // One script, one transaction: a failing statement rolls all of it back.
    await this.query(['BEGIN TRANSACTION', ...statements, 'COMMIT TRANSACTION'].join(';\n'));
  }

  async settleFullLoad(staging: QualifiedName, shape: BatchShape): Promise<void> {
    const scratch = `_conduit_settle_${randomBytes(6).toString('hex')}`;
    await this.query(settleFullLoadScript(this.ref(staging), shape, scratch));
  }

  async readColumns(table: QualifiedName): Promise<TargetColumn[]> {
    const metadata = await this.metadata(table);
    const fields = metadata?.schema?.fields ?? [];
    return fields.map((field) => ({
      name: field.name ?? '',
      type: field.type ?? '',
      ...(field.precision !== undefined ? { precision: Number(field.precision) } : {}),
      ...(field.scale !== undefined ? { scale: Number(field.scale) } : {}),
      ...(field.maxLength !== undefined ? { length: Number(field.maxLength) } : {}),
      nullable: field.mode !== 'REQUIRED',
    }));
  }

  /**
   * Adding a NULLABLE column and relaxing REQUIRED to NULLABLE are schema updates through the tables API
   * (BigQuery's own way; a retried prepare diffs again and finds them done); a decimal is widened with
   * ALTER COLUMN SET DATA TYPE.
   */
  async evolve(table: QualifiedName, change: SchemaChange): Promise<void> {
    switch (change.kind) {
      case 'add':
        await this.patchFields(table, (fields) =>
          fields.some((f) => foldColumnName(f.name ?? '') === foldColumnName(change.column.target))
            ? fields
            : [...fields, { ...tableField(change.column), mode: 'NULLABLE' }],
        );
        return;
      case 'widen':
        await this.query(widenColumnSql(this.ref(table), change.column));
        return;
      case 'drop-not-null':
        await this.patchFields(table, (fields) =>
          fields.map((f) =>
            foldColumnName(f.name ?? '') === foldColumnName(change.column) ? { ...f, mode: 'NULLABLE' } : f,
          ),
        );
        return;
      case 'source-dropped':
        return; // the column stays; rows written from now on hold NULL in it
    }
  }

  /** A schema update with the table's etag, so a concurrent change fails it instead of being lost. */
  private async patchFields(table: QualifiedName, change: (fields: TableField[]) => TableField[]): Promise<void> {
    const metadata = await this.metadata(table);
    if (!metadata) throw new Error(`${table.schema}.${table.name} does not exist`);
    const fields = metadata.schema?.fields ?? [];
    try {
      await this.table(table).setMetadata({ schema: { fields: change(fields) }, etag: metadata.etag });
    } catch (error) {
      throw redacted(error, `changing the schema of ${table.schema}.${table.name}`);
    }
  }
}

/** BigQuery's reasons for input it refuses: a value that does not cast, a malformed CSV row. */
const REFUSED_INPUT = new Set(['invalid', 'invalidQuery']);

/**
 * A load's failure: permanent when BigQuery refused the file's content (every retry would fail the same
 * way), retryable otherwise (a network error, a quota, a transaction aborted by a concurrent update).
 */
function loadFailure(error: unknown, file: string, table: QualifiedName): Error {
  const failure = redacted(error, `loading staged file ${file} into ${table.schema}.${table.name} failed`);
  const reason = (error as { errors?: { reason?: unknown }[] }).errors?.[0]?.reason;
  const refused = typeof reason === 'string' && REFUSED_INPUT.has(reason);
  return refused && !/concurrent update|aborted/i.test(failure.message)
    ? new PermanentError(failure.message, FailureType.LoadFailed)
    : failure;
}
