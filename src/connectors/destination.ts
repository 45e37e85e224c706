/**
 * The one interface activities use to reach a warehouse. A destination declares what it can hold
 * and load (`DestinationCapabilities`, pure: no SDK loaded) and does the I/O through sessions
 * (`DestinationSession`). Names here are neutral: a `QualifiedName` is a schema and a table of the
 * pipeline's destination; each implementation adds its database, project or file.
 * See docs/architecture.md, "Adding a destination".
 */
import type { Codec } from '../config/compression';
import type { ColumnKind, DestinationType, ColumnPlan, LoadMode, QualifiedName } from '../shared';

/** Largest exact decimal the destination holds; wider numerics are sized from the data (activities/numbers.ts). */
export interface DecimalLimits {
  maxPrecision: number;
  maxScale: number;
}

/** Values a destination column cannot hold; the extract guards them (connectors/postgres/edges.ts). */
export interface ValueLimits {
  decimal: DecimalLimits;
  /** Bytes of one text value; absent when the destination has no limit below PostgreSQL's own. */
  maxTextBytes?: number;
  maxBinaryBytes?: number;
  /** Whether dates and timestamps outside years 1–9999 (±infinity, BC) are refused (Snowflake) or kept. */
  dateRange: 'years-1-9999' | 'postgres-infinity';
  /** Whether the time '24:00:00' exists. */
  time2400: boolean;
}

/** The run-scoped objects of one table's run, named by the destination's identifier rules. */
export interface RunObjectNames {
  shadow: QualifiedName;
  stage: QualifiedName;
}

/** A column of an existing destination table, as the destination describes it. */
export interface TargetColumn {
  name: string;
  /** The destination's own type name (NUMBER, TEXT, DECIMAL…). */
  type: string;
  length?: number;
  precision?: number;
  scale?: number;
  nullable: boolean;
}

export type SchemaChange =
  | { kind: 'add'; column: ColumnPlan }
  | { kind: 'widen'; column: ColumnPlan; from: string }
  | { kind: 'drop-not-null'; column: string; reason: string }
  | { kind: 'source-dropped'; column: string };

export interface SchemaDiff {
  changes: SchemaChange[];
  /** Changes that cannot be applied in place, one message each. */
  incompatible: string[];
}

/** What a destination is, declared without connecting: planning, extracts and docs read these. */
export interface DestinationCapabilities {
  type: DestinationType;
  /** As users and messages name it ("Snowflake", "DuckDB"). */
  displayName: string;
  /** The destination's column type for a column kind (docs/type-mapping.md is generated from it). */
  columnType(kind: ColumnKind): string;
  limits: ValueLimits;
  /**
   * Whether a worker keeps idle sessions between activities (a Snowflake login costs hundreds of ms); an
   * embedded file closes them, so other processes (a shell, another worker) may open the file in between.
   */
  keepSessionsBetweenActivities: boolean;
  /** Codecs of staged CSV files it loads, in order of preference. */
  codecs: readonly Codec[];
  /** The form two names share when the destination takes them for one (DuckDB ignores ASCII case). */
  identifierKey(name: string): string;
  /** Shadow table and staging area of a run, within the identifier limits. */
  runObjectNames(target: QualifiedName, runKey: string): RunObjectNames;
  /** Source columns against the target's: the changes to apply, or the ones it cannot make. */
  diffSchema(source: ColumnPlan[], target: TargetColumn[]): SchemaDiff;
  describeChange(change: SchemaChange): string;
}

/** A staged file's outcome in one load. */
export interface FileLoad {
  file: string;
  /** `skipped`: the table had loaded this file already (a repeated load after a crash). */
  status: 'loaded' | 'skipped';
  rows: number;
}

/** How a staged batch is applied to an incremental target (the columns are the batch's, in target names). */
export interface BatchShape {
  mode: Exclude<LoadMode, 'full_refresh'>;
  columns: ColumnPlan[];
  key: string[];
  cursor: string;
  /** Append: the columns that identify a row already loaded (key and cursor, or every column). */
  identity: string[];
  /** Target columns the source no longer has: NULL in merged rows. */
  dropped: string[];
  /** Merge with soft delete: rows whose column is true (or non-NULL) delete the target's row. */
  deleteWhen?: { column: string; boolean: boolean };
}

/** A table's row in the state table: the cursor its target holds rows up to, and the run that wrote it. */
export interface CursorState {
  table: string;
  source: string;
  mode: string;
  cursor: string | null;
  marker: string;
  updated: string;
  /** xid8 of the oldest source transaction in progress when `cursor` was read; null in older rows. */
  snapshotXmin: string | null;
}

export type StateRow = Omit<CursorState, 'updated'>;

/** A batch loaded into a staging table, to apply to its target. */
export interface StagedBatch {
  target: QualifiedName;
  staging: QualifiedName;
  shape: BatchShape;
}

/** Name of the per-schema table holding each incremental table's committed cursor. */
export const STATE_TABLE = '_conduit_state';

/**
 * One connection to the destination, used by one activity at a time. Every operation is idempotent
 * in effect, so a retried activity can repeat it.
 */
export interface DestinationSession {
  readonly capabilities: DestinationCapabilities;
  /** Still usable for another activity (sessions are kept between activities: connectors/sessions.ts). */
  isUp(): boolean;
  close(): Promise<void>;
  /** The destination's version string, for health checks. */
  version(): Promise<string>;

  /** Creates the schema when it is missing. */
  ensureNamespace(schema: string): Promise<void>;
  /** Creates the run's staging area (idempotent). */
  createStagingArea(stage: QualifiedName): Promise<void>;
  dropStagingArea(stage: QualifiedName): Promise<void>;
  /** Copies a local compressed file into the staging area under its base name, replacing an earlier one. */
  upload(stage: QualifiedName, localFile: string, codec: Codec): Promise<void>;

  /** Creates (or replaces) an empty typed table marked with `marker`. */
  createTable(table: QualifiedName, columns: ColumnPlan[], marker: string): Promise<void>;
  dropTable(table: QualifiedName): Promise<void>;
  /** The table's marker ('' when unmarked), undefined when the table does not exist. */
  tableMarker(table: QualifiedName): Promise<string | undefined>;
  /** Loads staged files into a table; a file the table loaded already is skipped, not loaded twice. */
  loadFiles(table: QualifiedName, columns: ColumnPlan[], stage: QualifiedName, files: string[]): Promise<FileLoad[]>;
  countRows(table: QualifiedName): Promise<number>;
  /**
   * Puts `shadow` in `target`'s place in one step readers see as atomic; `targetExists` chooses a
   * swap (the shadow then holds the old rows) or a rename.
   */
  replaceTable(target: QualifiedName, shadow: QualifiedName, targetExists: boolean): Promise<void>;

  /** Creates the schema's state table, or adds what newer workers record to an older one. */
  ensureStateTable(schema: string): Promise<void>;
  readState(schema: string, table: string): Promise<CursorState | undefined>;
  listState(schema: string): Promise<CursorState[]>;
  /**
   * Applies a staged batch to its target (when given) and writes the table's row in the schema's state
   * table in ONE transaction: both commit or neither does.
   */
  commitBatch(schema: string, state: StateRow, batch?: StagedBatch): Promise<void>;
  /** Rewrites a full load's staging table to one row per key, without soft-deleted rows (merge). */
  settleFullLoad(staging: QualifiedName, shape: BatchShape): Promise<void>;

  /** The target's columns in order; empty when the table does not exist. */
  readColumns(table: QualifiedName): Promise<TargetColumn[]>;
  /** Applies one schema change in place (a retried prepare diffs again and finds it done). */
  evolve(table: QualifiedName, change: SchemaChange): Promise<void>;
}
