/**
 * Types that cross the workflow/activity boundary. Everything here is recorded in Temporal history
 * (visible in the UI), so nothing here may hold a secret: pipelines are referred to by name and
 * activities resolve connections from the worker's environment.
 */
import type { CompressionSetting } from './config/compression';

/** What a user asks for: which pipeline to run, optionally restricted to some tables. */
export interface PipelineRunInput {
  pipeline: string;
  /** Source tables (`schema.table`) to run; all of the pipeline's tables when absent. */
  tables?: string[];
  /** Incremental tables (`schema.table`) to reload whole this run, resetting their cursor. */
  fullRefresh?: string[];
}

export type LoadMode = 'full_refresh' | 'incremental_append' | 'incremental_merge';

/** How an incremental table is read and applied (see README, "Incremental modes"). */
export interface IncrementalSpec {
  /** Source column whose growing values select new and changed rows. */
  cursor: string;
  /** Re-read this far behind the committed cursor: a number or e.g. '10 minutes'. */
  lookback?: string;
  /**
   * Rows of transactions still open when the previous run read its high-water: `snapshot` (absent:
   * the default) reads them whatever their cursor; `lookback` leaves them to the look-back alone.
   */
  lateCommits?: LateCommits;
  /** Source columns identifying a row; the source's primary key when absent. */
  primaryKey?: string[];
  /** Merge only: a column marking deleted rows (boolean, or non-NULL means deleted). */
  softDelete?: { column: string; action: 'delete' | 'flag' };
}

export type LateCommits = 'snapshot' | 'lookback';

/**
 * Which of a table's columns are carried and how, by names or globs (`*`, `?`): `exclude` leaves columns
 * out (never read from the source), `asText` carries them as PostgreSQL's text form whatever their type.
 */
export interface ColumnChoice {
  exclude: string[];
  asText: string[];
}

/**
 * Which rows an extract reads besides its partition range: cursor values in [low - lookback, high],
 * and rows written from transaction `xidFrom` on with a cursor up to high. An absent low reads from
 * the start (and NULL cursors, which only a full load can see).
 */
export interface CursorWindow {
  column: string;
  /** The column's PostgreSQL type, for typed comparisons. */
  sourceType: string;
  low?: string;
  high?: string;
  lookback?: string;
  /** xid8 (decimal) of the oldest transaction in progress when `low` was read: docs/consistency.md. */
  xidFrom?: string;
}

/**
 * What to do with a value the destination cannot hold exactly (an infinite date, numeric NaN, a
 * number wider than 38 digits…): fail the table, load NULL, or land the whole column as text.
 * Nothing is ever rounded or truncated silently; affected values are counted in the run summary.
 */
export type UnrepresentablePolicy = 'fail' | 'null' | 'string';

/**
 * How partitions of one table see the source: `consistent` reads every partition in one exported
 * snapshot (the table as of one moment); `per_partition` reads each in its own transaction (each
 * partition as of its own moment); `auto` is `consistent` for tables split by page ranges, where
 * a concurrent UPDATE moves rows between partitions, and `per_partition` otherwise.
 */
export type SnapshotMode = 'auto' | 'consistent' | 'per_partition';

/** A snapshot exported for a table's partitions; `generation` counts re-established snapshots. */
export interface SharedSnapshot {
  id: string;
  generation: number;
}

export interface QualifiedName {
  schema: string;
  name: string;
}

/**
 * The database-neutral type of a column: PostgreSQL's connector classifies source columns into it,
 * the warehouse connector maps it to a destination type and load expression.
 */
export type ColumnKind =
  | { kind: 'integer'; bytes: 2 | 4 | 8 }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'float'; bytes: 4 | 8 }
  | { kind: 'boolean' }
  | { kind: 'text'; maxLength?: number; fixedLength?: boolean }
  | { kind: 'date' }
  | { kind: 'time' }
  | { kind: 'timestamp' }
  | { kind: 'timestamptz' }
  | { kind: 'interval' }
  | { kind: 'uuid' }
  | { kind: 'json' }
  | { kind: 'array' }
  | { kind: 'binary' };

/**
 * A source type as the catalog describes it, domains resolved to their base type at every level, with the
 * types it is made of: what the extract needs to shape a structured value (see connectors/postgres/types.ts).
 */
export interface SourceType {
  /** pg_type.typname: `int4`, `numeric`, `_text` for an array… */
  typname: string;
  /** pg_type.typtype: 'b' base, 'e' enum, 'r' range, 'm' multirange, 'c' composite… */
  typtype: string;
  /** pg_type.typcategory: 'A' for arrays. */
  typcategory: string;
  typmod: number;
  /** Arrays: the element type; multiranges: their range type. */
  element?: SourceType;
  /** Ranges: the type of their bounds. */
  subtype?: SourceType;
  /** Composite types: their fields in order. */
  fields?: { name: string; type: SourceType }[];
}

export interface ColumnPlan {
  /** Column name exactly as in the source. */
  source: string;
  /** Column name in the destination (identical unless the pipeline folds case). */
  target: string;
  /** Source type as PostgreSQL prints it, for messages. */
  sourceType: string;
  /** Base type name in pg_type (`int4`, `money`…), which picks the extract expression. */
  sourceTypname: string;
  type: ColumnKind;
  nullable: boolean;
  /**
   * A numeric whose NUMBER(38,s) is narrower than what its declared type allows (sized from the data, or
   * declared with a scale or precision Snowflake lacks): each value is checked while extracting.
   */
  sizedFromData?: boolean;
  /** The column lands as text because this many of its values have no exact typed form (policy `string`). */
  asText?: number;
  /** The pipeline's `columns.asText` names the column: it lands as PostgreSQL's text form, whatever its type. */
  chosenAsText?: boolean;
  /** Arrays, ranges, multiranges and composite types: what they are made of, which shapes their JSON. */
  structure?: SourceType;
}

/** How a table is split: by ranges of an integer key, or by ranges of physical pages. */
export type Partitioning =
  { strategy: 'key'; column: string; bounds: string[] } | { strategy: 'ctid'; bounds: number[] };

/** The warehouses a pipeline can load into (`destination.type`). */
export type DestinationType = 'snowflake' | 'duckdb' | 'bigquery';

/** `preserve` quotes names exactly as in PostgreSQL; `upper` uses Snowflake's unquoted convention. */
export type IdentifierCase = 'preserve' | 'upper';

/**
 * A table's destination settings, fixed when the run is planned so every activity of the run uses the
 * same ones whatever the worker's file says later.
 */
export interface TableDestination {
  type: DestinationType;
  /** `settings.compression`; each worker resolves `auto` to what it can run. */
  compression: CompressionSetting;
  identifierCase: IdentifierCase;
}

/** One table's job within a run, as planned before any data moves. */
export interface TableJob {
  pipeline: string;
  source: QualifiedName;
  target: QualifiedName;
  mode: LoadMode;
  onUnrepresentable: UnrepresentablePolicy;
  partitionRows: number;
  maxParallelPartitions: number;
  /** Absent in jobs planned before the option existed: treated as `auto`. */
  snapshot?: SnapshotMode;
  /** Incremental modes only. */
  incremental?: IncrementalSpec;
  /** The table's `columns` choice; every column as its type maps when absent. */
  columns?: ColumnChoice;
  /** `conduit run --full-refresh`: reload an incremental table whole and reset its cursor. */
  fullRefresh?: boolean;
  /**
   * How long an activity of this table may go without a heartbeat before it is retried elsewhere; absent in jobs
   * planned before the setting existed (30 s).
   */
  heartbeatTimeoutSeconds?: number;
  /** Absent in jobs planned before the destinations were pluggable: the pipeline file's settings then apply. */
  destination?: TableDestination;
}

export interface PipelinePlan {
  pipeline: string;
  tables: TableJob[];
  maxParallelTables: number;
}

/** Everything the table workflow needs after preparation: the column plan, the split and where files go. */
export interface PreparedTable {
  columns: ColumnPlan[];
  partitioning: Partitioning;
  /** Rows counted when planning; informative only (the source may change during the run). */
  estimatedRows: number;
  shadow: QualifiedName;
  stage: QualifiedName;
  /** Marks the shadow table so a repeated swap can tell it already happened. */
  runMarker: string;
}

/** An incremental table after preparation: the window this run reads and how it is applied. */
export interface PreparedIncremental extends PreparedTable {
  /** Reload whole (first run, lost target, --full-refresh): staged like full_refresh, swapped in, cursor reset. */
  full: boolean;
  window: CursorWindow;
  /** xid8 of the oldest transaction in progress when `window.high` was read; absent from older workers. */
  snapshotXmin?: string;
  /** Target names of the key columns (merge; append's identity with the cursor). */
  key: string[];
  /** Target columns the source no longer has. */
  dropped: string[];
  schemaChanges: string[];
}

/** One partition's rows: a half-open range of the key or of page numbers; an absent end is unbounded. */
export type PartitionRange =
  { strategy: 'key'; column: string; from?: string; to?: string } | { strategy: 'ctid'; from?: number; to?: number };

/**
 * The ranges of a partitioning, in order; the first starts and the last ends unbounded, so there is
 * always at least one (n bounds make n + 1 ranges).
 */
export function partitionRanges(partitioning: Partitioning): [PartitionRange, ...PartitionRange[]] {
  const range = (i: number): PartitionRange =>
    partitioning.strategy === 'key'
      ? { strategy: 'key', column: partitioning.column, from: partitioning.bounds[i - 1], to: partitioning.bounds[i] }
      : { strategy: 'ctid', from: partitioning.bounds[i - 1], to: partitioning.bounds[i] };
  return [range(0), ...partitioning.bounds.map((_, i) => range(i + 1))];
}

/** What an extract activity needs: only its own partition, so history stays small with many partitions. */
export interface ExtractPartitionInput {
  job: TableJob;
  columns: ColumnPlan[];
  stage: QualifiedName;
  partition: number;
  range: PartitionRange;
  /** The table's shared snapshot, when its partitions are read consistently. */
  snapshot?: SharedSnapshot;
  window?: CursorWindow;
}

export interface PartitionResult {
  partition: number;
  rows: number;
  /** Compressed bytes staged. */
  bytes: number;
  /** File name inside the table's stage; absent when the partition had no rows. */
  file?: string;
  /** Values set to NULL under the `null` policy, by source column. */
  unrepresentable?: Record<string, number>;
}

export interface ExtractBatchInput {
  job: TableJob;
  columns: ColumnPlan[];
  stage: QualifiedName;
  firstPartition: number;
  ranges: PartitionRange[];
  snapshot?: SharedSnapshot;
  window?: CursorWindow;
}

export interface TableResult {
  source: string;
  target: string;
  status: 'succeeded' | 'failed';
  rows: number;
  bytes: number;
  partitions: number;
  seconds: number;
  /** Values the destination could not hold, by source column, and what was done with them. */
  unrepresentable?: { policy: UnrepresentablePolicy; columns: Record<string, number> };
  /** Incremental modes: the target's schema changes applied before loading, one line each. */
  schemaChanges?: string[];
  /** Incremental modes: the committed cursor high-water after this run. */
  cursor?: string | null;
  /**
   * Seconds the warehouse spent on the table's statements (each timed by the worker, file uploads left out), summed
   * over the activities that succeeded; absent when the destination reports none (docs/operations.md, "Cost per
   * pipeline and table").
   */
  warehouseSeconds?: number;
  error?: string;
}

export interface PipelineRunResult {
  pipeline: string;
  tables: TableResult[];
  seconds: number;
}

export type TableState =
  'pending' | 'preparing' | 'extracting' | 'loading' | 'verifying' | 'swapping' | 'cleaning' | 'succeeded' | 'failed';

/** Answer of the table workflow's progress query. */
export interface TableProgress {
  source: string;
  state: TableState;
  partitions: number;
  partitionsDone: number;
  rows: number;
  bytes: number;
  estimatedRows: number;
  /** Batch workflows extracting right now; query them for partition-level progress. */
  activeBatches: string[];
  /** Warehouse time of the table's finished activities so far (see `TableResult`). */
  warehouseSeconds?: number;
  error?: string;
}

/** A table's progress before any of its work is done. */
export function initialTableProgress(source: string, state: TableState): TableProgress {
  return { source, state, partitions: 0, partitionsDone: 0, rows: 0, bytes: 0, estimatedRows: 0, activeBatches: [] };
}

/** Answer of the extract batch workflow's progress query. */
export interface BatchProgress {
  partitionsDone: number;
  rows: number;
  bytes: number;
}

/** Answer of the pipeline workflow's status query. */
export interface PipelineStatus {
  pipeline: string;
  tables: { source: string; workflowId: string; state: TableState }[];
}

export function qualifiedName(name: QualifiedName): string {
  return `${name.schema}.${name.name}`;
}

/**
 * An activity's result with the warehouse time of its statements, added by the worker's activity interceptor
 * (observability/metrics.ts) when the result is a plain object and a statement was timed; other results (numbers,
 * text, none) go through as they are.
 */
export function withWarehouseTime(result: unknown, seconds: number | undefined): unknown {
  if (seconds === undefined || typeof result !== 'object' || result === null || Array.isArray(result)) return result;
  return { ...result, warehouseSeconds: seconds };
}

/** The warehouse time an activity's result carries: 0 for results without one (and those of older workers). */
export function warehouseSecondsOf(result: unknown): number {
  if (typeof result !== 'object' || result === null || !('warehouseSeconds' in result)) return 0;
  return typeof result.warehouseSeconds === 'number' ? result.warehouseSeconds : 0;
}
