import type { Client } from 'pg';
import type { IdentifierCase } from '../config/pipeline';
import { PermanentError } from '../connectors/errors';
import { describeTable, measureNumerics, type SourceColumn } from '../connectors/postgres/catalog';
import { connectPostgres } from '../connectors/postgres/connect';
import { planPartitions } from '../connectors/postgres/partitioning';
import { quoteTable } from '../connectors/postgres/sql';
import { withSnowflake } from '../connectors/snowflake/connection';
import { createSchemaSql, createShadowTableSql, createStageSql, shadowTableName, stageName, tableRef } from '../connectors/snowflake/dialect';
import type { ColumnPlan, PreparedTable, TableJob } from '../shared';
import { runActivity, pipelineConfig, type ActivityContext } from './context';

/** Snowflake's NUMBER holds at most this many digits. */
const MAX_NUMBER_PRECISION = 38;

export interface PrepareTableInput {
  job: TableJob;
  /** Identifies the run; names the run's shadow table and stage. */
  runKey: string;
}

/**
 * Reads the source table's shape, refuses what cannot be carried exactly (before any data moves),
 * plans partitions, and creates the run's empty shadow table and stage in Snowflake.
 */
export function prepareTableActivity(context: ActivityContext) {
  return async function prepareTable({ job, runKey }: PrepareTableInput): Promise<PreparedTable> {
    const config = pipelineConfig(context, job.pipeline);
    return runActivity(async () => {
      const client = await connectPostgres(config.source);
      let columns: ColumnPlan[];
      let plan: Awaited<ReturnType<typeof planPartitions>>;
      try {
        const table = await describeTable(client, job.source);
        columns = await planColumns(client, job, table.columns, config.settings.identifierCase);
        plan = await planPartitions(client, job.source, table.integerKey, job.partitionRows);
      } finally {
        await client.end();
      }

      const prepared: PreparedTable = {
        columns,
        partitioning: plan.partitioning,
        estimatedRows: plan.rows,
        shadow: { schema: job.target.schema, name: shadowTableName(job.target.name, runKey) },
        stage: { schema: job.target.schema, name: stageName(job.target.name, runKey) },
        runMarker: `conduit run ${runKey}`,
      };
      const database = config.destination.database;
      await withSnowflake(config.destination, async (session) => {
        await session.query(createSchemaSql(database, job.target.schema));
        await session.query(createStageSql(tableRef(database, prepared.stage)));
        await session.query(createShadowTableSql(tableRef(database, prepared.shadow), columns, prepared.runMarker));
      });
      return prepared;
    });
  };
}

async function planColumns(client: Client, job: TableJob, columns: SourceColumn[], identifierCase: IdentifierCase): Promise<ColumnPlan[]> {
  const table = quoteTable(job.source.schema, job.source.name);
  const unsupported = columns.filter((c) => c.kind === undefined);
  if (unsupported.length > 0) {
    const list = unsupported.map((c) => `"${c.name}" ${c.displayType}`).join(', ');
    throw new PermanentError(
      `table ${table} has columns of types Conduit cannot carry exactly: ${list}; exclude the table or change the column types`,
      'UnsupportedType',
    );
  }

  const unsized = columns.filter((c) => c.kind?.kind === 'decimal' && c.kind.precision === 0).map((c) => c.name);
  const measured = await measureNumerics(client, job.source, unsized);

  const plans = columns.map((column): ColumnPlan => {
    let kind = column.kind!;
    if (kind.kind === 'decimal') {
      const size = measured.get(column.name);
      if (size?.hasNaN) {
        throw new PermanentError(`column "${column.name}" of ${table} holds NaN, which Snowflake's NUMBER cannot store`, 'UnrepresentableValue');
      }
      // Negative scales round to tens, hundreds…; scales above the precision are all fraction.
      const scale = size ? size.scale : Math.max(kind.scale, 0);
      const precision = size ? size.integerDigits + size.scale : Math.max(kind.precision - Math.min(kind.scale, 0), scale);
      if (precision > MAX_NUMBER_PRECISION) {
        throw new PermanentError(
          `column "${column.name}" of ${table} (${column.displayType}) needs ${precision} digits; Snowflake's NUMBER holds at most ${MAX_NUMBER_PRECISION}`,
          'UnrepresentableValue',
        );
      }
      kind = { kind: 'decimal', precision: size ? MAX_NUMBER_PRECISION : precision, scale };
    }
    return {
      source: column.name,
      target: identifierCase === 'upper' ? column.name.toUpperCase() : column.name,
      sourceType: column.displayType,
      sourceTypname: column.typname,
      type: kind,
      nullable: column.nullable,
    };
  });

  const seen = new Map<string, string>();
  for (const plan of plans) {
    const other = seen.get(plan.target);
    if (other !== undefined) {
      throw new PermanentError(`columns "${other}" and "${plan.source}" of ${table} both become "${plan.target}" in Snowflake; use identifierCase: preserve`, 'TargetCollision');
    }
    seen.set(plan.target, plan.source);
  }
  return plans;
}
