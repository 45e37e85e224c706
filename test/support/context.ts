/**
 * What the integration project's global setup (test/global-setup.ts) hands to test files through
 * vitest's `provide`/`inject`: the coordinates of the one Temporal dev server, PostgreSQL cluster
 * and Snowflake emulator shared by the whole run. Values are plain data (no `stop`): the global
 * setup owns the services and stops them after the run.
 *
 *   import { inject } from 'vitest';
 *   const { address, namespace } = inject('temporal');
 */
import { inject } from 'vitest';
import type { PostgresService, SnowflakeEmulatorService, TemporalService } from '../../src/dev/types';

export type TemporalCoordinates = Omit<TemporalService, 'stop'>;
export type PostgresCoordinates = Omit<PostgresService, 'stop'>;
export type SnowflakeCoordinates = Omit<SnowflakeEmulatorService, 'stop'>;

declare module 'vitest' {
  interface ProvidedContext {
    /** The shared Temporal server: address (host:port), namespace, uiUrl. */
    temporal: TemporalCoordinates;
    /** The shared PostgreSQL cluster: host, port, user, password, database. */
    postgres: PostgresCoordinates;
    /** The shared Snowflake emulator: host, port, protocol, account, user, password, database, schema, warehouse. */
    snowflake: SnowflakeCoordinates;
    /** The same as environment variables (src/dev/services.ts `toEnv`): TEMPORAL_ADDRESS, PGHOST, SNOWFLAKE_PORT… */
    serviceEnv: Record<string, string>;
  }
}

/**
 * Copies the shared services' environment (TEMPORAL_ADDRESS, PG*, SNOWFLAKE_*) into process.env of this test file's
 * worker.
 */
export function applyServiceEnv(): void {
  Object.assign(process.env, inject('serviceEnv'));
}
