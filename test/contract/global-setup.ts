/**
 * Global setup of the contract project (see vitest.config.ts): starts the Snowflake emulator once for
 * the run, and nothing else (the contract needs no Temporal or PostgreSQL), and provides its
 * coordinates under the key the integration project uses (test/support/context.ts types it). Each test
 * file makes a schema of its own on it (destinations.ts).
 */
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { startSnowflakeEmulator } from '../../src/dev/emulator';
// Types only: the runtime module imports `inject`, which must not load in the main process.
import type { SnowflakeCoordinates } from '../support/context';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulator = await startSnowflakeEmulator();
  const coordinates: SnowflakeCoordinates = {
    host: emulator.host,
    port: emulator.port,
    protocol: emulator.protocol,
    account: emulator.account,
    user: emulator.user,
    password: emulator.password,
    database: emulator.database,
    schema: emulator.schema,
    warehouse: emulator.warehouse,
  };
  project.provide('snowflake', coordinates);
  return () => emulator.stop();
}
