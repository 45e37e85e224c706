/**
 * Destinations by `destination.type`. Capabilities are pure and loaded with this module; a session's
 * SDK is imported only when a pipeline first opens one, so a worker serving only DuckDB pipelines never
 * loads snowflake-sdk (and the reverse).
 */
import type { DestinationConfig } from '../config/pipeline';
import type { DestinationType } from '../shared';
import type { DestinationCapabilities, DestinationSession } from './destination';
import { bigQueryCapabilities } from './bigquery/capabilities';
import { duckDbCapabilities } from './duckdb/capabilities';
import { snowflakeCapabilities } from './snowflake/capabilities';

const CAPABILITIES: Record<DestinationType, DestinationCapabilities> = {
  snowflake: snowflakeCapabilities,
  duckdb: duckDbCapabilities,
  bigquery: bigQueryCapabilities,
};

export function destinationCapabilities(type: DestinationType): DestinationCapabilities {
  return CAPABILITIES[type];
}

/** Opens a session on the pipeline's destination. */
export async function openDestination(config: DestinationConfig): Promise<DestinationSession> {
  switch (config.type) {
    case 'snowflake': {
      const { openSnowflakeSession } = await import('./snowflake/destination.js');
      return openSnowflakeSession(config);
    }
    case 'duckdb': {
      const { openDuckDbSession } = await import('./duckdb/session.js');
      return openDuckDbSession(config);
    }
    case 'bigquery': {
      const { openBigQuerySession } = await import('./bigquery/session.js');
      return openBigQuerySession(config);
    }
  }
}

/** Where a destination is, for health checks and messages (never a secret). */
export function describeDestination(config: DestinationConfig): string {
  switch (config.type) {
    case 'snowflake':
      return (
        `${config.user}@${config.host ?? `${config.account}.snowflakecomputing.com`}/` +
        `${config.database}.${config.schema}`
      );
    case 'duckdb':
      return `${config.path} schema ${config.schema}`;
    case 'bigquery':
      return config.apiEndpoint === undefined
        ? `${config.project}.${config.dataset}`
        : `${config.project}.${config.dataset} at ${config.apiEndpoint}`;
  }
}

/** Opens a session, runs `work`, and always closes the session (commands outside a worker). */
export async function withDestination<T>(
  config: DestinationConfig,
  work: (session: DestinationSession) => Promise<T>,
): Promise<T> {
  const session = await openDestination(config);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}
