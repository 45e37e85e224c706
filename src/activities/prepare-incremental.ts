import type { Client } from 'pg';
import type { IdentifierCase } from '../config/pipeline';
import { PermanentError } from '../connectors/errors';
import { describeTable } from '../connectors/postgres/catalog';
import { connectPostgres } from '../connectors/postgres/connect';
import { readHighWater, windowPredicate, type HighWater } from '../connectors/postgres/cursor';
import { planPartitions } from '../connectors/postgres/partitioning';
import { quoteTable } from '../connectors/postgres/sql';
import { field, type SnowflakeSession } from '../connectors/snowflake/connection';
import { shadowTableName, stageName, tableRef, tableSql, type TableRef } from '../connectors/snowflake/dialect';
import {
  addColumnSql,
  dropNotNullSql,
  STATE_TABLE,
  targetColumnsSql,
  widenColumnSql,
} from '../connectors/snowflake/incremental-sql';
import { withPrivilege } from '../connectors/snowflake/privileges';
import { createRunObjects, createStateTable, ensureSchema } from '../connectors/snowflake/run-objects';
import {
  describeChange,
  diffSchema,
  type SchemaChange,
  type TargetColumn,
} from '../connectors/snowflake/schema-evolution';
import {
  qualifiedName,
  type ColumnPlan,
  type CursorWindow,
  type IncrementalSpec,
  type PreparedIncremental,
  type TableJob,
} from '../shared';
import { pipelineConfig, runActivity, type ActivityContext } from './context';
import { planColumns, type PrepareTableInput } from './prepare';
import { evolveStateTable, readState, type CursorState } from './state';
import { FailureType } from '../failure-types';

/** Column kinds whose order is the order rows are written in: usable as a cursor. */
const ORDERABLE = new Set(['integer', 'decimal', 'date', 'timestamp', 'timestamptz']);

interface SourceShape {
  columns: ColumnPlan[];
  primaryKey: string[];
  integerKey?: string;
  highWater: HighWater;
}

/**
 * Prepares one run of an incremental table: reads the source's shape and cursor high-water, the
 * committed state, evolves the target's schema (or refuses an incompatible change), and creates the
 * run's stage and staging table. The run reloads whole when there is no state or target yet, or
 * when --full-refresh asked for it.
 */
export function prepareIncrementalActivity(context: ActivityContext) {
  return async function prepareIncremental({ job, runKey }: PrepareTableInput): Promise<PreparedIncremental> {
    const config = pipelineConfig(context, job.pipeline);
    const database = config.destination.database;
    return runActivity(async () => {
      const spec = incrementalSpec(job);
      const client = await connectPostgres(config.source);
      try {
        const shape = await readSource(client, job, spec, config.settings.identifierCase);
        return await context.snowflake.use(config, async (session) => {
          await ensureSchema(session, database, job.target.schema);
          const state = tableRef(database, { schema: job.target.schema, name: STATE_TABLE });
          await createStateTable(session, state);
          await evolveStateTable(session, state);
          const committed = await readState(session, state, job.target.name);
          const target = tableRef(database, job.target);
          const existing = await targetColumns(session, target);
          const full = job.fullRefresh === true || committed === undefined || existing.length === 0;
          // Before any ALTER: a state from another server refuses the run with the target untouched.
          const late = full ? {} : lateCommitsSince(job, spec, committed, shape.highWater);
          const diff = full ? { changes: [], incompatible: [] } : diffSchema(shape.columns, existing);
          if (diff.incompatible.length > 0) {
            throw new PermanentError(
              `${qualifiedName(job.source)} changed incompatibly with ${qualifiedName(job.target)}: ` +
                `${diff.incompatible.join('; ')}. ` +
                `Nothing was loaded; reload the table whole with: conduit run --config <file> ` +
                `--full-refresh ${qualifiedName(job.source)}`,
              FailureType.IncompatibleSchemaChange,
            );
          }
          for (const change of diff.changes) await applyChange(session, target, change);

          const cursorColumn = shape.columns.find((c) => c.source === spec.cursor) as ColumnPlan;
          const { high, xmin } = shape.highWater;
          const window: CursorWindow = {
            column: spec.cursor,
            sourceType: cursorColumn.sourceType,
            high,
            ...(full ? {} : { low: committed.cursor ?? undefined, lookback: spec.lookback }),
            ...late,
          };
          // A full load is split like a full refresh; a window by its own rows' keys.
          const plan = await planPartitions(
            client,
            job.source,
            shape.integerKey,
            job.partitionRows,
            full ? undefined : windowPredicate(window),
          );
          const prepared: PreparedIncremental = {
            columns: shape.columns,
            partitioning: plan.partitioning,
            estimatedRows: plan.rows,
            shadow: { schema: job.target.schema, name: shadowTableName(job.target.name, runKey) },
            stage: { schema: job.target.schema, name: stageName(job.target.name, runKey) },
            runMarker: `conduit run ${runKey}`,
            full,
            window,
            snapshotXmin: xmin,
            key: shape.primaryKey.map((name) => targetName(shape.columns, name)),
            dropped: diff.changes.flatMap((c) => (c.kind === 'source-dropped' ? [c.column] : [])),
            schemaChanges: diff.changes.map(describeChange),
          };
          await createRunObjects(session, database, prepared, shape.columns);
          return prepared;
        });
      } finally {
        await client.end();
      }
    });
  };
}

export function incrementalSpec(job: TableJob): IncrementalSpec {
  if (!job.incremental)
    throw new PermanentError(
      `${qualifiedName(job.source)} is in mode ${job.mode} but has no cursor column configured`,
      FailureType.InvalidConfig,
    );
  return job.incremental;
}

async function readSource(
  client: Client,
  job: TableJob,
  spec: IncrementalSpec,
  identifierCase: IdentifierCase,
): Promise<SourceShape> {
  const table = await describeTable(client, job.source);
  const columns = await planColumns(client, job, table.columns, identifierCase);
  const where = quoteTable(job.source.schema, job.source.name);
  const cursor = columns.find((c) => c.source === spec.cursor);
  if (!cursor)
    throw new PermanentError(`cursor column "${spec.cursor}" does not exist in ${where}`, FailureType.InvalidCursor);
  if (!ORDERABLE.has(cursor.type.kind)) {
    throw new PermanentError(
      `cursor column "${spec.cursor}" of ${where} is ${cursor.sourceType}; use an integer, numeric, date ` +
        `or timestamp column`,
      FailureType.InvalidCursor,
    );
  }
  const primaryKey = spec.primaryKey ?? table.primaryKey;
  for (const name of primaryKey) {
    if (!columns.some((c) => c.source === name))
      throw new PermanentError(`primaryKey column "${name}" does not exist in ${where}`, FailureType.InvalidKey);
  }
  if (job.mode === 'incremental_merge' && primaryKey.length === 0) {
    throw new PermanentError(
      `${where} has no primary key; incremental_merge needs one: set primaryKey in the table's entry`,
      FailureType.InvalidKey,
    );
  }
  if (spec.softDelete && !columns.some((c) => c.source === spec.softDelete?.column)) {
    throw new PermanentError(
      `softDelete column "${spec.softDelete.column}" does not exist in ${where}`,
      FailureType.InvalidConfig,
    );
  }
  const highWater = await readHighWater(client, job.source, spec.cursor);
  return { columns, primaryKey, integerKey: table.integerKey, highWater };
}

/**
 * The next window also reads what transactions from the committed snapshot's xmin on wrote. A
 * recorded xmin beyond the source's next transaction ID means another server (a restored copy, a
 * logical replica): its transaction IDs say nothing about the rows the target holds.
 */
function lateCommitsSince(
  job: TableJob,
  spec: IncrementalSpec,
  committed: CursorState | undefined,
  now: HighWater,
): Pick<CursorWindow, 'xidFrom'> {
  const recorded = committed?.snapshotXmin ?? undefined;
  if (recorded === undefined || spec.lateCommits === 'lookback') return {};
  if (!/^\d+$/.test(recorded)) {
    throw new PermanentError(
      `${qualifiedName(job.source)}: SNAPSHOT_XMIN "${recorded}" in ${STATE_TABLE} is not a transaction ID; ` +
        `set it to NULL there (the look-back alone then covers late commits until the next run records one)`,
      FailureType.InvalidState,
    );
  }
  if (BigInt(recorded) > BigInt(now.xmax)) {
    throw new PermanentError(
      `${qualifiedName(job.source)}: the committed state records source transaction ${recorded}, but the source ` +
        `is only at ${now.xmax}: it is not the server the cursor was read from. Nothing was loaded; reload the ` +
        `table whole with: conduit run --config <file> --full-refresh ${qualifiedName(job.source)}`,
      FailureType.SourceChanged,
    );
  }
  return { xidFrom: recorded };
}

export function targetName(columns: ColumnPlan[], source: string): string {
  return columns.find((c) => c.source === source)?.target ?? source;
}

async function targetColumns(session: SnowflakeSession, table: TableRef): Promise<TargetColumn[]> {
  const rows = await session.query(targetColumnsSql(table.database), [table.schema, table.name]);
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

/** Each ALTER is idempotent in effect: a retried prepare diffs again and finds it done. ALTER TABLE needs OWNERSHIP. */
async function applyChange(session: SnowflakeSession, target: TableRef, change: SchemaChange): Promise<void> {
  const sql = changeSql(target, change);
  if (sql === undefined) return;
  await withPrivilege(session, { privilege: 'OWNERSHIP', kind: 'TABLE', object: tableSql(target) }, () =>
    session.query(sql),
  );
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
