import type { Client } from 'pg';
import { STATE_TABLE, type CursorState } from '../connectors/destination';
import { PermanentError } from '../connectors/errors';
import { describeTable } from '../connectors/postgres/catalog';
import { connectPostgres } from '../connectors/postgres/connect';
import { readHighWater, windowPredicate, type HighWater } from '../connectors/postgres/cursor';
import { planPartitions } from '../connectors/postgres/partitioning';
import { quoteTable } from '../connectors/postgres/sql';
import {
  qualifiedName,
  type ColumnPlan,
  type CursorWindow,
  type IncrementalSpec,
  type PreparedIncremental,
  type TableJob,
} from '../shared';
import { pipelineConfig, runActivity, type ActivityContext } from './context';
import { columnTarget, createRunObjects, planColumns, type ColumnTarget, type PrepareTableInput } from './prepare';
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
    return runActivity(async () => {
      const spec = incrementalSpec(job);
      const destination = columnTarget(job, config);
      const client = await connectPostgres(config.source);
      try {
        const shape = await readSource(client, job, spec, destination);
        return await context.destinations.use(config, async (session) => {
          await session.ensureNamespace(job.target.schema);
          await session.ensureStateTable(job.target.schema);
          const committed = await session.readState(job.target.schema, job.target.name);
          const existing = await session.readColumns(job.target);
          const full = job.fullRefresh === true || committed === undefined || existing.length === 0;
          // Before any ALTER: a state from another server refuses the run with the target untouched.
          const late = full ? {} : lateCommitsSince(job, spec, committed, shape.highWater);
          const diff = full
            ? { changes: [], incompatible: [] }
            : destination.capabilities.diffSchema(shape.columns, existing);
          if (diff.incompatible.length > 0) {
            throw new PermanentError(
              `${qualifiedName(job.source)} changed incompatibly with ${qualifiedName(job.target)}: ` +
                `${diff.incompatible.join('; ')}. ` +
                `Nothing was loaded; reload the table whole with: conduit run --config <file> ` +
                `--full-refresh ${qualifiedName(job.source)}`,
              FailureType.IncompatibleSchemaChange,
            );
          }
          // Each change is idempotent in effect: a retried prepare diffs again and finds it done.
          for (const change of diff.changes) await session.evolve(job.target, change);

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
            ...destination.capabilities.runObjectNames(job.target, runKey),
            runMarker: `conduit run ${runKey}`,
            full,
            window,
            snapshotXmin: xmin,
            key: shape.primaryKey.map((name) => targetName(shape.columns, name)),
            dropped: diff.changes.flatMap((c) => (c.kind === 'source-dropped' ? [c.column] : [])),
            schemaChanges: diff.changes.map((change) => destination.capabilities.describeChange(change)),
          };
          await createRunObjects(session, prepared);
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
  destination: ColumnTarget,
): Promise<SourceShape> {
  const table = await describeTable(client, job.source);
  const columns = await planColumns(client, job, table, destination);
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
