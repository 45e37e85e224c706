import type { Client } from 'pg';
import type { IdentifierCase } from '../config/pipeline';
import { PermanentError } from '../connectors/errors';
import { describeTable, measureNumerics, type NumericSize, type SourceColumn } from '../connectors/postgres/catalog';
import { edgeRule } from '../connectors/postgres/edges';
import { classifyPostgresError, connectPostgres } from '../connectors/postgres/connect';
import { planPartitions } from '../connectors/postgres/partitioning';
import { quoteTable } from '../connectors/postgres/sql';
import { shadowTableName, stageName } from '../connectors/snowflake/dialect';
import { createRunObjects, ensureSchema } from '../connectors/snowflake/run-objects';
import {
  qualifiedName,
  type ColumnKind,
  type ColumnPlan,
  type PreparedTable,
  type TableJob,
  type UnrepresentablePolicy,
} from '../shared';
import { runActivity, pipelineConfig, type ActivityContext } from './context';
import { FailureType } from '../failure-types';

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
      } catch (error) {
        // A missing privilege surfaces here first; it must fail the table, not be retried.
        throw classifyPostgresError(error, `reading ${qualifiedName(job.source)} in the source`);
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
      await context.snowflake.use(config, async (session) => {
        await ensureSchema(session, database, job.target.schema);
        await createRunObjects(session, database, prepared, columns);
      });
      return prepared;
    });
  };
}

export async function planColumns(
  client: Client,
  job: TableJob,
  columns: SourceColumn[],
  identifierCase: IdentifierCase,
): Promise<ColumnPlan[]> {
  const table = quoteTable(job.source.schema, job.source.name);
  const unsupported = columns.filter((c) => c.kind === undefined);
  if (unsupported.length > 0) {
    const list = unsupported.map((c) => `"${c.name}" ${c.displayType}`).join(', ');
    throw new PermanentError(
      `table ${table} has columns of types Conduit cannot carry exactly: ${list}; exclude the table or change the column types`,
      FailureType.UnsupportedType,
    );
  }

  // Unconstrained numerics, and numerics wider than Snowflake's, are sized from the values present.
  const unsized = columns.filter(
    (c) => c.kind?.kind === 'decimal' && (c.kind.precision === 0 || c.kind.precision > MAX_NUMBER_PRECISION),
  );
  const measured = await measureNumerics(
    client,
    job.source,
    unsized.map((c) => c.name),
  );

  const plans = columns.map((column): ColumnPlan => {
    const plan: ColumnPlan = {
      source: column.name,
      target: identifierCase === 'upper' ? column.name.toUpperCase() : column.name,
      sourceType: column.displayType,
      sourceTypname: column.typname,
      type: column.kind as ColumnKind,
      nullable: column.nullable,
    };
    if (plan.type.kind !== 'decimal') return plan;
    const size = measured.get(column.name);
    if (!size) return { ...plan, type: declaredDecimal(plan.type.precision, plan.type.scale) };
    return sizeFromData(plan, size, job.onUnrepresentable, table);
  });

  if (job.onUnrepresentable === 'string') await landEdgeColumnsAsText(client, job, plans);

  const seen = new Map<string, string>();
  for (const plan of plans) {
    const other = seen.get(plan.target);
    if (other !== undefined) {
      throw new PermanentError(
        `columns "${other}" and "${plan.source}" of ${table} both become "${plan.target}" in Snowflake; use identifierCase: preserve`,
        FailureType.TargetCollision,
      );
    }
    seen.set(plan.target, plan.source);
  }
  return plans;
}

/** numeric(p,s) as NUMBER: negative scales round to tens, hundreds…; a scale above the precision is all fraction. */
function declaredDecimal(precision: number, scale: number): ColumnKind {
  return { kind: 'decimal', precision: Math.max(precision - Math.min(scale, 0), scale), scale: Math.max(scale, 0) };
}

/**
 * NUMBER(38, s) for a numeric sized from its values. When the values need more than 38 digits the
 * policy decides: fail now, or keep the scale and let the values too large for it be NULLed (`null`)
 * or found by the scan that lands such columns as text (`string`).
 */
function sizeFromData(plan: ColumnPlan, size: NumericSize, policy: UnrepresentablePolicy, table: string): ColumnPlan {
  const needed = size.integerDigits + size.scale;
  const fits = needed <= MAX_NUMBER_PRECISION;
  if (fits && !size.hasNaN)
    return {
      ...plan,
      type: { kind: 'decimal', precision: MAX_NUMBER_PRECISION, scale: size.scale },
      sizedFromData: true,
    };
  const problem = fits
    ? 'holds NaN'
    : `needs ${needed} digits (${size.integerDigits} before the point, ${size.scale} after); NUMBER holds ${MAX_NUMBER_PRECISION}`;
  if (policy === 'fail') {
    throw new PermanentError(
      `column "${plan.source}" of ${table} (${plan.sourceType}) ${problem}. Nothing was loaded; set settings.onUnrepresentable to "null" or "string"`,
      FailureType.UnrepresentableValue,
    );
  }
  // Keep the fraction digits the values have (up to 37) and NULL the outliers too large for the rest.
  const scale = Math.min(size.scale, MAX_NUMBER_PRECISION - 1);
  return { ...plan, type: { kind: 'decimal', precision: MAX_NUMBER_PRECISION, scale }, sizedFromData: true };
}

/** Policy `string`: columns holding any value without an exact typed form land as text, whole. */
async function landEdgeColumnsAsText(client: Client, job: TableJob, plans: ColumnPlan[]): Promise<void> {
  const checked = plans.flatMap((plan, index) => {
    const rule = edgeRule(plan);
    // Size limits have no text fallback; those stay guarded and fail the table if hit.
    return rule && plan.type.kind !== 'text' && plan.type.kind !== 'binary' ? [{ index, rule }] : [];
  });
  if (checked.length === 0) return;
  const select = checked.map(({ rule }, i) => `count(*) FILTER (WHERE ${rule.condition}) AS e${i}`).join(', ');
  const { rows } = await client.query<Record<string, string>>(
    `SELECT ${select} FROM ${quoteTable(job.source.schema, job.source.name)}`,
  );
  checked.forEach(({ index }, i) => {
    const found = Number(rows[0][`e${i}`]);
    if (found > 0) plans[index] = { ...plans[index], type: { kind: 'text' }, asText: found, sizedFromData: undefined };
  });
}
