import type { Client } from 'pg';
import type { PipelineConfig, TableSelection } from '../config/pipeline';
import { splitQualified } from '../config/load';
import type { DestinationCapabilities } from '../connectors/destination';
import { destinationCapabilities } from '../connectors/destinations';
import { PermanentError } from '../connectors/errors';
import { listTables } from '../connectors/postgres/catalog';
import { classifyPostgresError, connectPostgres } from '../connectors/postgres/connect';
import { quoteTable } from '../connectors/postgres/sql';
import { qualifiedName, type PipelinePlan, type PipelineRunInput, type TableJob } from '../shared';
import { runActivity, pipelineConfig, type ActivityContext } from './context';
import { FailureType } from '../failure-types';

/** Resolves the pipeline's table selection against the source catalog into one job per table. */
export function planPipelineActivity(context: ActivityContext) {
  return async function planPipeline(input: PipelineRunInput): Promise<PipelinePlan> {
    const config = pipelineConfig(context, input.pipeline);
    return runActivity(async () => {
      const client = await connectPostgres(config.source);
      try {
        const jobs = await resolveTables(client, config);
        const selected = markFullRefresh(
          filterTables(jobs, input.tables, config.name),
          input.fullRefresh ?? [],
          config.name,
        );
        checkTargetCollisions(selected, destinationCapabilities(config.destination.type));
        return { pipeline: config.name, tables: selected, maxParallelTables: config.settings.maxParallelTables };
      } catch (error) {
        throw classifyPostgresError(error, `reading the source catalog for pipeline "${config.name}"`);
      } finally {
        await client.end();
      }
    });
  };
}

async function resolveTables(client: Client, config: PipelineConfig): Promise<TableJob[]> {
  const jobs = new Map<string, TableJob>();
  const schemaTables = new Map<string, string[]>();
  for (const selection of config.tables) {
    if (selection.kind === 'table') {
      const existing = await listTables(client, selection.schema);
      if (!existing.includes(selection.name)) {
        throw new PermanentError(
          `table ${quoteTable(selection.schema, selection.name)} named in ${config.file} does not exist in ` +
            `the source (or the user cannot see it)`,
          FailureType.SourceTableNotFound,
        );
      }
      addJob(jobs, config, selection, selection.name, selection.target);
      continue;
    }
    let names = schemaTables.get(selection.schema);
    if (!names) {
      names = await listTables(client, selection.schema);
      schemaTables.set(selection.schema, names);
    }
    const include = selection.include.map(globToRegExp);
    const exclude = selection.exclude.map(globToRegExp);
    for (const name of names) {
      if (include.some((re) => re.test(name)) && !exclude.some((re) => re.test(name)))
        addJob(jobs, config, selection, name, undefined);
    }
  }
  if (jobs.size === 0) {
    throw new PermanentError(
      `pipeline "${config.name}" selects no tables: check the schemas and include/exclude patterns in ${config.file}`,
      FailureType.NoTables,
    );
  }
  return [...jobs.values()];
}

/** Explicit entries win over schema-wide ones for the same table; the first mention keeps its place. */
function addJob(
  jobs: Map<string, TableJob>,
  config: PipelineConfig,
  selection: TableSelection,
  name: string,
  target: string | undefined,
): void {
  const key = qualifiedName({ schema: selection.schema, name });
  if (jobs.has(key) && selection.kind === 'schema') return;
  const settings = config.settings;
  jobs.set(key, {
    pipeline: config.name,
    source: { schema: selection.schema, name },
    target: {
      schema: config.destination.schema,
      name: target ?? (settings.identifierCase === 'upper' ? name.toUpperCase() : name),
    },
    mode: selection.overrides.mode ?? settings.mode,
    onUnrepresentable: settings.onUnrepresentable,
    partitionRows: selection.overrides.partitionRows ?? settings.partitionRows,
    maxParallelPartitions: selection.overrides.maxParallelPartitions ?? settings.maxParallelPartitions,
    snapshot: selection.overrides.snapshot ?? settings.snapshot,
    ...(selection.overrides.incremental ? { incremental: selection.overrides.incremental } : {}),
    ...(selection.overrides.columns ? { columns: selection.overrides.columns } : {}),
    heartbeatTimeoutSeconds: settings.heartbeatTimeoutSeconds,
    destination: {
      type: config.destination.type,
      compression: settings.compression,
      identifierCase: settings.identifierCase,
    },
  });
}

function findJob(jobs: TableJob[], raw: string): TableJob | undefined {
  const parts = splitQualified(raw);
  return parts?.length === 2 ? jobs.find((j) => j.source.schema === parts[0] && j.source.name === parts[1]) : undefined;
}

/** `--full-refresh T`: T must be an incremental table of this run; its job reloads whole. */
function markFullRefresh(jobs: TableJob[], requested: string[], pipeline: string): TableJob[] {
  for (const raw of requested) {
    const job = findJob(jobs, raw);
    if (!job || job.mode === 'full_refresh') {
      const known =
        jobs
          .filter((j) => j.mode !== 'full_refresh')
          .map((j) => qualifiedName(j.source))
          .join(', ') || 'none';
      throw new PermanentError(
        `--full-refresh "${raw}": not an incremental table of this run of pipeline "${pipeline}" ` +
          `(incremental tables: ${known})`,
        FailureType.UnknownTable,
      );
    }
    job.fullRefresh = true;
  }
  return jobs;
}

function filterTables(jobs: TableJob[], requested: string[] | undefined, pipeline: string): TableJob[] {
  if (!requested || requested.length === 0) return jobs;
  return requested.map((raw) => {
    const job = findJob(jobs, raw);
    if (!job) {
      const known = jobs.map((j) => qualifiedName(j.source)).join(', ');
      throw new PermanentError(
        `table "${raw}" is not part of pipeline "${pipeline}" (its tables: ${known})`,
        FailureType.UnknownTable,
      );
    }
    return job;
  });
}

/** Two sources landing in one destination table would overwrite each other: refuse before loading anything. */
export function checkTargetCollisions(jobs: TableJob[], destination: DestinationCapabilities): void {
  const seen = new Map<string, string>();
  for (const job of jobs) {
    const key = destination.identifierKey(qualifiedName(job.target));
    const other = seen.get(key);
    if (other) {
      throw new PermanentError(
        `source tables ${other} and ${qualifiedName(job.source)} would both load into ` +
          `${qualifiedName(job.target)} in ${destination.displayName}: give one a different \`target\` name`,
        FailureType.TargetCollision,
      );
    }
    seen.set(key, qualifiedName(job.source));
  }
}

export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}
