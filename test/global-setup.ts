/**
 * Global setup of the integration project (see vitest.config.ts): starts the Temporal dev server,
 * PostgreSQL and the Snowflake emulator ONCE for the run, in parallel, and provides their
 * coordinates to test files (keys typed in test/support/context.ts). Several test files each
 * starting a Temporal server at once has caused connection resets; one shared server avoids it.
 *
 * CONDUIT_TEST_TEMPORAL_ADDRESS=host:port runs the tests against an existing Temporal server
 * instead (TEMPORAL_ADDRESS is deliberately ignored here: a developer's shell may point it at a
 * real cluster).
 */
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { startLocalServices, toEnv } from '../src/dev/services';
// Types only: the runtime module imports `inject`, which must not load in the main process.
import type { PostgresCoordinates, SnowflakeCoordinates, TemporalCoordinates } from './support/context';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const services = await startLocalServices({
    reuseTemporalAddress: process.env['CONDUIT_TEST_TEMPORAL_ADDRESS'] || false,
    reuseTemporalNamespace: process.env['CONDUIT_TEST_TEMPORAL_NAMESPACE'],
  });
  const { temporal, postgres, snowflake } = services;
  const temporalCoordinates: TemporalCoordinates = {
    address: temporal.address,
    namespace: temporal.namespace,
    uiUrl: temporal.uiUrl,
  };
  const postgresCoordinates: PostgresCoordinates = {
    host: postgres.host,
    port: postgres.port,
    user: postgres.user,
    password: postgres.password,
    database: postgres.database,
  };
  const snowflakeCoordinates: SnowflakeCoordinates = {
    host: snowflake.host,
    port: snowflake.port,
    protocol: snowflake.protocol,
    account: snowflake.account,
    user: snowflake.user,
    password: snowflake.password,
    database: snowflake.database,
    schema: snowflake.schema,
    warehouse: snowflake.warehouse,
  };
  project.provide('temporal', temporalCoordinates);
  project.provide('postgres', postgresCoordinates);
  project.provide('snowflake', snowflakeCoordinates);
  project.provide('serviceEnv', toEnv(services));
  if (process.env['CONDUIT_TEST_VERBOSE']) {
    process.stderr.write(`local services up in ${Date.now() - started} ms; Temporal UI ${temporal.uiUrl}\n`);
  }
  return () => services.stop();
}
