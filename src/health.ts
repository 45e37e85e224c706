/**
 * The worker's start-up check: can it reach Temporal (and are Conduit's search attributes
 * registered, which every run needs), and each pipeline's PostgreSQL and destination? It names hosts,
 * databases and users, never a password: secret values are masked in every message.
 */
import { Connection } from '@temporalio/client';
import type { PipelineConfig, TemporalSettings } from './config/pipeline';
import type { DestinationType } from './shared';
import { describeDestination, withDestination } from './connectors/destinations';
import { connectPostgres } from './connectors/postgres/connect';
import { withStatementTag } from './observability/statement-tag';
import { ensureSearchAttributes, registerSearchAttributesCommand } from './search-attributes';
import { temporalConnectionOptions } from './temporal-connection';

export interface HealthCheck {
  service: 'temporal' | 'search-attributes' | 'postgres' | DestinationType;
  /** The pipeline a source or destination check belongs to. */
  pipeline?: string;
  /** What was reached: host, port, database, user (never a secret). */
  target: string;
  ok: boolean;
  detail: string;
}

export interface HealthOptions {
  /** Per check; a service that does not answer in time is reported, not waited for. */
  timeoutMs?: number;
  /** Skip the source and destination checks (Temporal is always checked). */
  temporalOnly?: boolean;
}

export async function checkWorkerHealth(
  pipelines: PipelineConfig[],
  temporal: TemporalSettings,
  options: HealthOptions = {},
): Promise<HealthCheck[]> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  // Long enough not to mask ordinary words (a throwaway local password can equal the user name).
  const secrets = pipelines
    .flatMap((p) => [p.source.password, destinationPassword(p), p.temporal.apiKey])
    .filter((s): s is string => !!s && s.length >= 8);
  const mask = (text: string) => secrets.reduce((t, secret) => t.split(secret).join('***'), text);
  const run = async (check: Omit<HealthCheck, 'ok' | 'detail'>, probe: () => Promise<string>): Promise<HealthCheck> => {
    try {
      return { ...check, ok: true, detail: mask(await withTimeout(probe(), timeoutMs)) };
    } catch (error) {
      return { ...check, ok: false, detail: mask(error instanceof Error ? error.message : String(error)) };
    }
  };

  const checks: Promise<HealthCheck[]>[] = [checkTemporal(temporal, run)];
  if (!options.temporalOnly) {
    for (const p of pipelines) {
      const { source: s, destination: d } = p;
      checks.push(
        run(
          { service: 'postgres', pipeline: p.name, target: `${s.user}@${s.host}:${s.port}/${s.database}` },
          async () => {
            const client = await connectPostgres(s);
            try {
              const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
              return `PostgreSQL ${rows[0]?.v ?? '?'}`;
            } finally {
              await client.end().catch(() => undefined);
            }
          },
        ).then((c) => [c]),
        run({ service: d.type, pipeline: p.name, target: describeDestination(d) }, () =>
          withStatementTag({ step: 'health', pipeline: p.name }, () =>
            withDestination(d, (session) => session.version()),
          ),
        ).then((c) => [c]),
      );
    }
  }
  return (await Promise.all(checks)).flat();
}

function destinationPassword(pipeline: PipelineConfig): string | undefined {
  return pipeline.destination.type === 'snowflake' ? pipeline.destination.password : undefined;
}

type Runner = (check: Omit<HealthCheck, 'ok' | 'detail'>, probe: () => Promise<string>) => Promise<HealthCheck>;

async function checkTemporal(temporal: TemporalSettings, run: Runner): Promise<HealthCheck[]> {
  let connection: Connection | undefined;
  try {
    const server = await run(
      { service: 'temporal', target: `${temporal.address} namespace ${temporal.namespace}` },
      async () => {
        connection = await Connection.connect({ ...temporalConnectionOptions(temporal), connectTimeout: 10_000 });
        const info = await connection.workflowService.getSystemInfo({});
        await connection.workflowService.describeNamespace({ namespace: temporal.namespace });
        return `server ${info.serverVersion || '?'}, task queue ${temporal.taskQueue}`;
      },
    );
    if (!server.ok || !connection) return [server];
    const open = connection;
    const attributes = await run(
      { service: 'search-attributes', target: `namespace ${temporal.namespace}` },
      async () => {
        try {
          // Replicas starting together may race to add them: one retry sees the other's work.
          const added = await ensureSearchAttributes(open, temporal.namespace).catch(async () => {
            await new Promise((r) => setTimeout(r, 1000));
            return ensureSearchAttributes(open, temporal.namespace);
          });
          return added.length > 0
            ? `registered ${added.join(', ')}`
            : 'ConduitPipeline, ConduitTable, ConduitMode, ConduitStatus registered';
        } catch (error) {
          throw new Error(
            `${error instanceof Error ? error.message : String(error)}; runs cannot start until they are ` +
              `registered: ${registerSearchAttributesCommand(temporal.namespace)}`,
          );
        }
      },
    );
    return [server, attributes];
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** One check's `health: <service> <target>: ok|FAILED <detail>` line. */
export function formatHealth(c: HealthCheck): string {
  return (
    `health: ${c.service}${c.pipeline ? ` (${c.pipeline})` : ''} ${c.target}: ${c.ok ? 'ok' : 'FAILED'} ` +
    `${c.detail}`
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
