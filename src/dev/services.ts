/**
 * All local services at once, for `conduit dev`, the demo, the benchmark and the tests: Temporal
 * (the dev server, or an existing server), PostgreSQL and the Snowflake emulator, started in
 * parallel. `stop()` stops whatever was started, also after a partial failure.
 */
import { Connection } from '@temporalio/client';
import { startSnowflakeEmulator, type SnowflakeEmulatorOptions } from './emulator';
import { startPostgres, type StartPostgresOptions } from './postgres';
import {
  CONDUIT_SEARCH_ATTRIBUTES,
  DEFAULT_TEMPORAL_NAMESPACE,
  ensureSearchAttributes,
  startTemporalDevServer,
  type TemporalDevServerOptions,
} from './temporal';
import type { PostgresService, RunningService, SnowflakeEmulatorService, TemporalService } from './types';

export interface LocalServices extends RunningService {
  temporal: TemporalService;
  postgres: PostgresService;
  snowflake: SnowflakeEmulatorService;
}

export interface StartLocalServicesOptions {
  /**
   * host:port of a running Temporal server to use instead of starting the dev server.
   * Defaults to $TEMPORAL_ADDRESS when set; `false` always starts a dev server.
   */
  reuseTemporalAddress?: string | false;
  /** Namespace on a reused server; $TEMPORAL_NAMESPACE, else `default`. */
  reuseTemporalNamespace?: string;
  temporal?: TemporalDevServerOptions;
  postgres?: StartPostgresOptions;
  /** `false`: no emulator (a pipeline into DuckDB needs none). */
  snowflake?: SnowflakeEmulatorOptions | false;
}

/** The services without the Snowflake emulator. */
export type ServicesWithoutSnowflake = Omit<LocalServices, 'snowflake'> & { snowflake?: undefined };

/**
 * An existing Temporal server: checked to answer, with Conduit's search attributes made sure of.
 * Not ours to stop. The UI URL follows the dev server's convention (gRPC port + 1000) unless
 * $TEMPORAL_UI_URL says otherwise.
 */
async function attachTemporal(address: string, namespace: string): Promise<TemporalService> {
  const connection = Connection.lazy({ address, connectTimeout: 10_000 });
  try {
    await connection.ensureConnected();
    await connection.workflowService.describeNamespace({ namespace });
    await ensureSearchAttributes(connection, namespace, CONDUIT_SEARCH_ATTRIBUTES);
  } catch (error) {
    throw new Error(
      `the Temporal server at ${address} (namespace ${namespace}) is not usable: ${(error as Error).message}`,
    );
  } finally {
    await connection.close();
  }
  const match = /^(.*):(\d+)$/.exec(address);
  const uiUrl =
    process.env['TEMPORAL_UI_URL'] ??
    (match?.[1] !== undefined && match[2] !== undefined ? `http://${match[1]}:${Number(match[2]) + 1000}` : '');
  return { address, namespace, uiUrl, stop: () => Promise.resolve() };
}

export async function startLocalServices(
  opts: StartLocalServicesOptions & { snowflake: false },
): Promise<ServicesWithoutSnowflake>;
export async function startLocalServices(
  opts?: StartLocalServicesOptions & { snowflake?: SnowflakeEmulatorOptions },
): Promise<LocalServices>;
export async function startLocalServices(
  opts: StartLocalServicesOptions = {},
): Promise<LocalServices | ServicesWithoutSnowflake> {
  const envAddress = process.env['TEMPORAL_ADDRESS'];
  const reuse = opts.reuseTemporalAddress ?? (envAddress !== undefined && envAddress !== '' ? envAddress : false);
  const namespace = opts.reuseTemporalNamespace ?? process.env['TEMPORAL_NAMESPACE'] ?? DEFAULT_TEMPORAL_NAMESPACE;

  const [temporal, postgres, snowflake] = await Promise.allSettled([
    reuse !== false ? attachTemporal(reuse, namespace) : startTemporalDevServer(opts.temporal),
    startPostgres(opts.postgres),
    opts.snowflake === false ? Promise.resolve(undefined) : startSnowflakeEmulator(opts.snowflake),
  ]);
  const started: RunningService[] = [];
  const failures: string[] = [];
  for (const [name, result] of [
    ['Temporal', temporal],
    ['PostgreSQL', postgres],
    ['Snowflake emulator', snowflake],
  ] as const) {
    if (result.status === 'fulfilled') {
      if (result.value) started.push(result.value);
    } else failures.push(`${name}: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`);
  }
  if (temporal.status !== 'fulfilled' || postgres.status !== 'fulfilled' || snowflake.status !== 'fulfilled') {
    await stopAll(started);
    throw new Error(`could not start the local services:\n${failures.join('\n')}`);
  }

  let stopping: Promise<void> | undefined;
  return {
    temporal: temporal.value,
    postgres: postgres.value,
    ...(snowflake.value ? { snowflake: snowflake.value } : {}),
    stop(): Promise<void> {
      stopping ??= stopAll(started);
      return stopping;
    },
  };
}

/** Stops every service, all of them even when one fails; then reports the failures. */
async function stopAll(services: RunningService[]): Promise<void> {
  const results = await Promise.allSettled(services.map((s) => s.stop()));
  const errors = results.flatMap((r) =>
    r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : [],
  );
  if (errors.length > 0) throw new Error(`stopping the local services failed: ${errors.join('; ')}`);
}

/** What a worker, the CLI or a test needs in its environment to reach the services. */
export function toEnv(
  services: Pick<LocalServices, 'temporal' | 'postgres'> & { snowflake?: SnowflakeEmulatorService },
): Record<string, string> {
  const { temporal, postgres, snowflake } = services;
  const local = {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    TEMPORAL_UI_URL: temporal.uiUrl,
    PGHOST: postgres.host,
    PGPORT: String(postgres.port),
    PGUSER: postgres.user,
    PGPASSWORD: postgres.password,
    PGDATABASE: postgres.database,
  };
  if (!snowflake) return local;
  return {
    ...local,
    SNOWFLAKE_ACCOUNT: snowflake.account,
    SNOWFLAKE_HOST: snowflake.host,
    SNOWFLAKE_PORT: String(snowflake.port),
    SNOWFLAKE_PROTOCOL: snowflake.protocol,
    SNOWFLAKE_USER: snowflake.user,
    SNOWFLAKE_PASSWORD: snowflake.password,
    SNOWFLAKE_DATABASE: snowflake.database,
    SNOWFLAKE_SCHEMA: snowflake.schema,
    SNOWFLAKE_WAREHOUSE: snowflake.warehouse,
  };
}
