import type { CompressionSetting } from './compression';
import type {
  ColumnChoice,
  DestinationType,
  IdentifierCase,
  IncrementalSpec,
  LoadMode,
  SnapshotMode,
  UnrepresentablePolicy,
} from '../shared';

/** A pipeline definition after validation and `${VAR}` interpolation. Holds secrets: worker-side only. */
export interface PipelineConfig {
  name: string;
  /** The file it came from, for messages. */
  file: string;
  temporal: TemporalSettings;
  source: PostgresSource;
  destination: DestinationConfig;
  tables: TableSelection[];
  settings: PipelineSettings;
}

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  /** TLS to the Temporal frontend; absent for plaintext (the local dev server). See docs/security.md. */
  tls?: TemporalTls;
  /** API key (Temporal Cloud); implies TLS. A secret: resolved from the environment. */
  apiKey?: string;
}

/** Files are PEM and read when connecting, so rotated certificates are picked up by the next connection. */
export interface TemporalTls {
  /** CA of the server's certificate; the system's roots when absent. */
  caFile?: string;
  /** Client certificate and key for mTLS; both or neither. */
  certFile?: string;
  keyFile?: string;
  /** Name to verify the server's certificate against (and send as SNI) when it differs from the address's host. */
  serverName?: string;
}

export type SslMode = 'disable' | 'require' | 'verify-full';

export interface PostgresSource {
  type: 'postgres';
  host: string;
  port: number;
  database: string;
  user: string;
  /** Absent when the config was loaded without secrets (client side). */
  password?: string;
  ssl: SslMode;
  /** PEM file of the CA(s) that sign the server's certificate (libpq's sslrootcert); system roots when absent. */
  sslRootCert?: string;
}

export type DestinationConfig = SnowflakeDestination | DuckDbDestination | BigQueryDestination;
export const DESTINATION_TYPES: readonly DestinationType[] = ['snowflake', 'duckdb', 'bigquery'];

export interface SnowflakeDestination {
  type: 'snowflake';
  account: string;
  user: string;
  password?: string;
  database: string;
  schema: string;
  warehouse?: string;
  role?: string;
  /** Set to reach something other than `<account>.snowflakecomputing.com`, such as the local emulator. */
  host?: string;
  port?: number;
  protocol: 'https' | 'http';
}

/** An embedded DuckDB database file; one worker process at a time writes it (docs/destinations.md). */
export interface DuckDbDestination {
  type: 'duckdb';
  /** Absolute path of the database file (a relative one in the config is read from the config's folder). */
  path: string;
  /** Default schema of tables that do not name one; `main` when absent. */
  schema: string;
  /** DuckDB's `memory_limit` in this worker (e.g. `512MB`); 128MB when absent (connectors/duckdb/database.ts). */
  memoryLimit?: string;
  /** DuckDB's threads in this worker; 1 when absent. */
  threads?: number;
}

/**
 * A BigQuery dataset, reached with the official client (docs/bigquery-emulator.md, "A real project").
 * Credentials are the worker's: a service-account key file named here, else Application Default
 * Credentials; neither is ever part of workflow data.
 */
export interface BigQueryDestination {
  type: 'bigquery';
  project: string;
  /** Default dataset of tables that do not name one (datasets play the part of schemas). */
  dataset: string;
  /** The same as `dataset`, under the name every destination gives its default namespace. */
  schema: string;
  /** Where datasets Conduit creates live, and where jobs run (US when absent, as in BigQuery). */
  location?: string;
  /** Path of a service-account key file; Application Default Credentials when absent. */
  credentials?: string;
  /** Another endpoint than https://bigquery.googleapis.com, such as the emulator (then unauthenticated without `credentials`). */
  apiEndpoint?: string;
}

/** Either one table by name or every table of a schema matching include/exclude patterns. */
export type TableSelection =
  | { kind: 'table'; schema: string; name: string; target?: string; overrides: TableOverrides }
  | { kind: 'schema'; schema: string; include: string[]; exclude: string[]; overrides: TableOverrides };

export interface TableOverrides {
  mode?: LoadMode;
  partitionRows?: number;
  maxParallelPartitions?: number;
  snapshot?: SnapshotMode;
  /** Cursor, look-back, key and soft-delete column of an incremental table. */
  incremental?: IncrementalSpec;
  /** Columns left out or carried as text. */
  columns?: ColumnChoice;
}

export interface PipelineSettings {
  mode: LoadMode;
  /** Target rows per partition; a partition is one extract activity and one staged file. */
  partitionRows: number;
  /** Partitions of one table extracted at once. */
  maxParallelPartitions: number;
  /** Tables of one run processed at once. */
  maxParallelTables: number;
  /** `preserve` quotes names exactly as in PostgreSQL; `upper` uses Snowflake's unquoted convention. */
  identifierCase: IdentifierCase;
  /** Values Snowflake cannot hold exactly: fail the table (default), load NULL, or land the column as text. */
  onUnrepresentable: UnrepresentablePolicy;
  /** Whether a table's partitions share one snapshot of the source (docs/consistency.md). */
  snapshot: SnapshotMode;
  /** Silence after which an activity counts as lost and is retried (activities heartbeat every 5 s). */
  heartbeatTimeoutSeconds: number;
  /** Codec of staged files: `auto` is zstd where the worker has the `zstd` program, else gzip. */
  compression: CompressionSetting;
}

export const DEFAULT_SETTINGS: PipelineSettings = {
  mode: 'full_refresh',
  partitionRows: 250_000,
  maxParallelPartitions: 4,
  maxParallelTables: 2,
  identifierCase: 'preserve',
  onUnrepresentable: 'fail',
  snapshot: 'auto',
  heartbeatTimeoutSeconds: 30,
  compression: 'auto',
};

export const DEFAULT_TEMPORAL: TemporalSettings = {
  address: '127.0.0.1:7233',
  namespace: 'default',
  taskQueue: 'conduit',
};
