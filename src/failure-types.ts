/**
 * Every failure type Conduit gives a Temporal failure, in one place for connectors, activities,
 * workflows, the client and the CLI. The values are stable: they appear in recorded histories, the
 * Temporal UI and operators' alerts, so a value is never renamed, only added.
 */
export const FailureType = {
  // A run, a table, a partition: the workflow-level wrappers around a cause.
  PlanningFailed: 'PlanningFailed',
  TablesFailed: 'TablesFailed',
  TableFailed: 'TableFailed',
  PartitionFailed: 'PartitionFailed',
  // The shared snapshot: lost (the table takes a new one) or never established.
  SnapshotLost: 'SnapshotLost',
  SnapshotFailed: 'SnapshotFailed',
  // The pipeline file and the worker's environment.
  InvalidConfig: 'InvalidConfig',
  MissingSecret: 'MissingSecret',
  CompressionUnavailable: 'CompressionUnavailable',
  SslRootCert: 'SslRootCert',
  // The source.
  NoTables: 'NoTables',
  UnknownTable: 'UnknownTable',
  SourceTableNotFound: 'SourceTableNotFound',
  SourceNotATable: 'SourceNotATable',
  SourceTableEmptyShape: 'SourceTableEmptyShape',
  TargetCollision: 'TargetCollision',
  UnsupportedType: 'UnsupportedType',
  UnrepresentableValue: 'UnrepresentableValue',
  InvalidCursor: 'InvalidCursor',
  InvalidKey: 'InvalidKey',
  // The committed state names transactions of another server (a restored copy, a logical replica).
  SourceChanged: 'SourceChanged',
  PostgresTls: 'PostgresTls',
  // The destination.
  SnowflakeLogin: 'SnowflakeLogin',
  SnowflakeCompilation: 'SnowflakeCompilation',
  SnowflakePrivilege: 'SnowflakePrivilege',
  DuckDbFile: 'DuckDbFile',
  IncompatibleSchemaChange: 'IncompatibleSchemaChange',
  InvalidState: 'InvalidState',
  ShadowMissing: 'ShadowMissing',
  LoadFailed: 'LoadFailed',
  VerificationFailed: 'VerificationFailed',
} as const;

/** A named failure type, or `Postgres<SQLSTATE>` for a source error no retry can fix. */
export type FailureType = (typeof FailureType)[keyof typeof FailureType] | `Postgres${string}`;
