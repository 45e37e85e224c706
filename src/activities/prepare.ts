import type { Client } from 'pg';
import type { PipelineConfig } from '../config/pipeline';
import type { DestinationCapabilities, DestinationSession } from '../connectors/destination';
import { PermanentError } from '../connectors/errors';
import { describeTable, measureNumerics, type SourceColumn, type SourceTable } from '../connectors/postgres/catalog';
import { edgeRule } from '../connectors/postgres/edges';
import { classifyPostgresError, connectPostgres } from '../connectors/postgres/connect';
import { planPartitions } from '../connectors/postgres/partitioning';
import { quoteTable } from '../connectors/postgres/sql';
import { known } from '../invariant';
import {
  qualifiedName,
  type IdentifierCase,
  type ColumnKind,
  type ColumnPlan,
  type PreparedTable,
  type TableJob,
} from '../shared';
import { capabilitiesOf, runActivity, pipelineConfig, tableDestination, type ActivityContext } from './context';
import { FailureType } from '../failure-types';
import { declaredNumber, sizedNumber } from './numbers';
import { globToRegExp } from './plan';

/** How a table's columns are planned for its destination. */
export interface ColumnTarget {
  capabilities: DestinationCapabilities;
  identifierCase: IdentifierCase;
}

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
      const destination = columnTarget(job, config);
      const client = await connectPostgres(config.source);
      let columns: ColumnPlan[];
      let plan: Awaited<ReturnType<typeof planPartitions>>;
      try {
        const table = await describeTable(client, job.source);
        columns = await planColumns(client, job, table, destination);
        // An excluded key is never read, not even to split the table: pages split it instead.
        const integerKey = columns.some((c) => c.source === table.integerKey) ? table.integerKey : undefined;
        plan = await planPartitions(client, job.source, integerKey, job.partitionRows);
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
        ...destination.capabilities.runObjectNames(job.target, runKey),
        runMarker: `conduit run ${runKey}`,
      };
      await context.destinations.use(config, async (session) => {
        await session.ensureNamespace(job.target.schema);
        await createRunObjects(session, prepared);
      });
      return prepared;
    });
  };
}

export function columnTarget(job: TableJob, config: PipelineConfig): ColumnTarget {
  return { capabilities: capabilitiesOf(job, config), identifierCase: tableDestination(job, config).identifierCase };
}

/** The run's staging area and its empty, typed shadow table, marked with the run. */
export async function createRunObjects(session: DestinationSession, prepared: PreparedTable): Promise<void> {
  await session.createStagingArea(prepared.stage);
  await session.createTable(prepared.shadow, prepared.columns, prepared.runMarker);
}

export async function planColumns(
  client: Client,
  job: TableJob,
  source: SourceTable,
  destination: ColumnTarget,
): Promise<ColumnPlan[]> {
  const { capabilities, identifierCase } = destination;
  const limits = capabilities.limits;
  const table = quoteTable(job.source.schema, job.source.name);
  const columns = chooseColumns(job, source, table);
  const unsupported = columns.filter((c) => c.kind === undefined);
  if (unsupported.length > 0) {
    const list = unsupported.map((c) => `"${c.name}" (${c.displayType})`).join(', ');
    throw new PermanentError(
      `table ${table} has columns of types Conduit cannot carry exactly: ${list}; in the table's entry of the ` +
        `pipeline file, leave them out with \`columns: { exclude: [...] }\` or carry PostgreSQL's text form ` +
        `with \`columns: { asText: [...] }\``,
      FailureType.UnsupportedType,
    );
  }

  // Unconstrained numerics, and numerics wider than the destination's, are sized from the values present.
  const unsized = columns.filter(
    (c) => c.kind?.kind === 'decimal' && (c.kind.precision === 0 || c.kind.precision > limits.decimal.maxPrecision),
  );
  const measured = await measureNumerics(
    client,
    job.source,
    unsized.map((c) => c.name),
  );

  const plans: ColumnPlan[] = [];
  for (const column of columns) {
    const plan: ColumnPlan = {
      source: column.name,
      target: identifierCase === 'upper' ? column.name.toUpperCase() : column.name,
      sourceType: column.displayType,
      sourceTypname: column.typname,
      type: column.kind as ColumnKind,
      nullable: column.nullable,
      ...(column.structure ? { structure: column.structure } : {}),
      ...(column.chosenAsText ? { chosenAsText: true } : {}),
    };
    const size = measured.get(column.name);
    if (plan.type.kind !== 'decimal') plans.push(plan);
    else if (!size) plans.push(declaredNumber(plan, plan.type.precision, plan.type.scale, limits.decimal));
    else plans.push(await sizedNumber(client, job, plan, size, table, capabilities));
  }

  if (job.onUnrepresentable === 'string') await landEdgeColumnsAsText(client, job, plans, capabilities);

  const seen = new Map<string, string>();
  for (const plan of plans) {
    const other = seen.get(capabilities.identifierKey(plan.target));
    if (other !== undefined) {
      throw new PermanentError(
        `columns "${other}" and "${plan.source}" of ${table} both become "${plan.target}" in ` +
          `${capabilities.displayName}; ` +
          `use identifierCase: preserve`,
        FailureType.TargetCollision,
      );
    }
    seen.set(capabilities.identifierKey(plan.target), plan.source);
  }
  return plans;
}

/** A source column as the table's `columns` choice carries it. */
type ChosenColumn = SourceColumn & { chosenAsText?: boolean };

/**
 * Applies the table's `columns` choice: excluded columns go (an incremental table's cursor, key and
 * soft-delete columns may not), `asText` ones become text of any type.
 */
function chooseColumns(job: TableJob, source: SourceTable, table: string): ChosenColumn[] {
  const choice = job.columns;
  if (!choice) return source.columns;
  const matches = (patterns: string[], name: string) => patterns.some((p) => globToRegExp(p).test(name));
  const spec = job.mode === 'full_refresh' ? undefined : job.incremental;
  if (spec) {
    const needed = [spec.cursor, ...(spec.primaryKey ?? source.primaryKey), spec.softDelete?.column];
    const refused = needed.filter((name): name is string => name !== undefined && matches(choice.exclude, name));
    if (refused.length > 0) {
      throw new PermanentError(
        `table ${table} is in mode ${job.mode}, which reads its cursor, key and soft-delete columns, but ` +
          `columns.exclude leaves out ${refused.map((name) => `"${name}"`).join(', ')}`,
        FailureType.InvalidConfig,
      );
    }
  }
  const kept = source.columns.filter((c) => !matches(choice.exclude, c.name));
  if (kept.length === 0) {
    throw new PermanentError(
      `columns.exclude leaves no column of table ${table}; exclude the table instead`,
      FailureType.InvalidConfig,
    );
  }
  return kept.map((c) =>
    matches(choice.asText, c.name) ? { ...c, kind: { kind: 'text' }, structure: undefined, chosenAsText: true } : c,
  );
}

/** Policy `string`: columns holding any value without an exact typed form land as text, whole. */
async function landEdgeColumnsAsText(
  client: Client,
  job: TableJob,
  plans: ColumnPlan[],
  destination: DestinationCapabilities,
): Promise<void> {
  const checked = plans.flatMap((plan, index) => {
    const rule = edgeRule(plan, destination.limits);
    // Size limits have no text fallback; those stay guarded and fail the table if hit.
    return rule && plan.type.kind !== 'text' && plan.type.kind !== 'binary' ? [{ index, plan, rule }] : [];
  });
  if (checked.length === 0) return;
  const select = checked.map(({ rule }, i) => `count(*) FILTER (WHERE ${rule.condition}) AS e${i}`).join(', ');
  const { rows } = await client.query<Record<string, string>>(
    `SELECT ${select} FROM ${quoteTable(job.source.schema, job.source.name)}`,
  );
  const counts = known(rows[0], 'an aggregate SELECT returns one row');
  checked.forEach(({ index, plan }, i) => {
    const found = Number(counts[`e${i}`]);
    if (found > 0) plans[index] = { ...plan, type: { kind: 'text' }, asText: found, sizedFromData: undefined };
  });
}
