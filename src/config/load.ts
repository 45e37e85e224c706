import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { COMPRESSION_SETTINGS } from './compression';
import { snowflakeObjectName } from './snowflake-names';
import type {
  ColumnChoice,
  IdentifierCase,
  IncrementalSpec,
  LateCommits,
  LoadMode,
  SnapshotMode,
  UnrepresentablePolicy,
} from '../shared';
import {
  DEFAULT_SETTINGS,
  DEFAULT_TEMPORAL,
  DESTINATION_TYPES,
  type PipelineConfig,
  type PipelineSettings,
  type PostgresSource,
  type BigQueryDestination,
  type DestinationConfig,
  type DuckDbDestination,
  type SnowflakeDestination,
  type SslMode,
  type TableOverrides,
  type TableSelection,
  type TemporalSettings,
  type TemporalTls,
} from './pipeline';

/** A pipeline file that cannot be used; the message lists every problem with its key. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid pipeline definition:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Workers resolve passwords; clients that only start runs do not need them, so a missing
   * password variable is not an error for them and the password stays unset.
   */
  resolveSecrets?: boolean;
}

const MODES: readonly LoadMode[] = ['full_refresh', 'incremental_append', 'incremental_merge'];
const INCREMENTAL_KEYS = ['cursor', 'lookback', 'lateCommits', 'primaryKey', 'softDelete'];
const LATE_COMMITS: readonly LateCommits[] = ['snapshot', 'lookback'];
/** A look-back: a whole number (integer cursors) or an amount of time (date and timestamp cursors). */
const LOOKBACK = /^(\d+|\d+ (second|minute|hour|day)s?)$/;
const SSL_MODES: readonly SslMode[] = ['disable', 'require', 'verify-full'];
const IDENTIFIER_CASES: readonly IdentifierCase[] = ['preserve', 'upper'];
const UNREPRESENTABLE_POLICIES: readonly UnrepresentablePolicy[] = ['fail', 'null', 'string'];
const SNAPSHOT_MODES: readonly SnapshotMode[] = ['auto', 'consistent', 'per_partition'];
const SECRET_KEYS = new Set(['password', 'apiKey']);

export function loadPipelineFile(path: string, options: LoadOptions = {}): PipelineConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(path, [`not valid YAML or JSON: ${(error as Error).message}`]);
  }
  return parsePipeline(document, path, options);
}

/** Validates a parsed document; every problem found is reported at once. */
export function parsePipeline(document: unknown, file: string, options: LoadOptions = {}): PipelineConfig {
  const reader = new Reader(file, options.env ?? process.env, options.resolveSecrets ?? true);
  const root = reader.object(document, '');
  if (!root) throw reader.error();
  reader.only(root, '', ['name', 'temporal', 'source', 'destination', 'tables', 'settings']);

  const name = reader.string(root, 'name', {
    pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/,
    hint: 'letters, digits, _ . - (it names workflow IDs)',
  });
  const temporal = readTemporal(reader, root.temporal);
  const source = readSource(reader, root.source);
  const destination = readDestination(reader, root.destination, file);
  const settings = readSettings(reader, root.settings);
  const tables = readTables(reader, root.tables, settings.mode);

  if (reader.problems.length > 0) throw reader.error();
  return {
    name: name ?? '',
    file,
    temporal,
    source: source as PostgresSource,
    destination: destination as DestinationConfig,
    tables,
    settings,
  };
}

function readTemporal(reader: Reader, value: unknown): TemporalSettings {
  const env = reader.env;
  const defaults: TemporalSettings = {
    address: env.TEMPORAL_ADDRESS || DEFAULT_TEMPORAL.address,
    namespace: env.TEMPORAL_NAMESPACE || DEFAULT_TEMPORAL.namespace,
    taskQueue: env.CONDUIT_TASK_QUEUE || DEFAULT_TEMPORAL.taskQueue,
  };
  if (value === undefined) return defaults;
  const obj = reader.object(value, 'temporal');
  if (!obj) return defaults;
  reader.only(obj, 'temporal', ['address', 'namespace', 'taskQueue', 'tls', 'apiKey']);
  const apiKey = reader.string(obj, 'apiKey', { path: 'temporal', optional: true });
  const tls = readTemporalTls(reader, obj.tls);
  return {
    address: reader.string(obj, 'address', { path: 'temporal', optional: true }) ?? defaults.address,
    namespace: reader.string(obj, 'namespace', { path: 'temporal', optional: true }) ?? defaults.namespace,
    taskQueue: reader.string(obj, 'taskQueue', { path: 'temporal', optional: true }) ?? defaults.taskQueue,
    ...(tls || apiKey ? { tls: tls ?? {} } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

/** `tls: true` (system roots) or a mapping of PEM files; a client certificate needs its key. */
function readTemporalTls(reader: Reader, value: unknown): TemporalTls | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  const obj = reader.object(value, 'temporal.tls');
  if (!obj) return undefined;
  const path = 'temporal.tls';
  reader.only(obj, path, ['caFile', 'certFile', 'keyFile', 'serverName']);
  const tls: TemporalTls = {
    caFile: reader.string(obj, 'caFile', { path, optional: true }),
    certFile: reader.string(obj, 'certFile', { path, optional: true }),
    keyFile: reader.string(obj, 'keyFile', { path, optional: true }),
    serverName: reader.string(obj, 'serverName', { path, optional: true }),
  };
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    reader.problems.push('`temporal.tls`: mTLS needs both `certFile` and `keyFile`');
  }
  return tls;
}

function readSource(reader: Reader, value: unknown): PostgresSource | undefined {
  const obj = reader.object(value, 'source');
  if (!obj) return undefined;
  const path = 'source';
  reader.only(obj, path, ['type', 'host', 'port', 'database', 'user', 'password', 'ssl', 'sslRootCert']);
  reader.oneOf(obj, 'type', ['postgres'], { path });
  const ssl = reader.oneOf(obj, 'ssl', SSL_MODES, { path, optional: true }) ?? 'disable';
  const sslRootCert = reader.string(obj, 'sslRootCert', { path, optional: true });
  if (sslRootCert !== undefined && ssl === 'disable')
    reader.problems.push('`source.sslRootCert`: set `source.ssl` to verify-full (or require) to use it');
  return {
    type: 'postgres',
    host: reader.string(obj, 'host', { path }) ?? '',
    port: reader.integer(obj, 'port', { path, min: 1, max: 65535, optional: true }) ?? 5432,
    database: reader.string(obj, 'database', { path }) ?? '',
    user: reader.string(obj, 'user', { path }) ?? '',
    password: reader.string(obj, 'password', { path, optional: true }),
    ssl,
    ...(sslRootCert !== undefined ? { sslRootCert } : {}),
  };
}

function readDestination(reader: Reader, value: unknown, file: string): DestinationConfig | undefined {
  const obj = reader.object(value, 'destination');
  if (!obj) return undefined;
  const type = reader.oneOf(obj, 'type', DESTINATION_TYPES, { path: 'destination' });
  if (type === 'duckdb') return readDuckDb(reader, obj, file);
  if (type === 'bigquery') return readBigQuery(reader, obj, file);
  return readSnowflake(reader, obj);
}

/** Project ids: 6–30 lowercase letters, digits and hyphens (a domain-scoped `example.com:name` too). */
const BIGQUERY_PROJECT = /^([a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** Dataset names: letters, digits and underscores, at most 1,024 characters; case-sensitive. */
const BIGQUERY_DATASET = /^[A-Za-z0-9_]{1,1024}$/;

function readBigQuery(reader: Reader, obj: Record<string, unknown>, file: string): BigQueryDestination {
  const path = 'destination';
  reader.only(obj, path, ['type', 'project', 'dataset', 'location', 'credentials', 'apiEndpoint']);
  const credentials = reader.string(obj, 'credentials', { path, optional: true });
  const apiEndpoint = reader.string(obj, 'apiEndpoint', { path, optional: true });
  if (apiEndpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(apiEndpoint))
    reader.problems.push('`destination.apiEndpoint`: an http(s)://host[:port] address');
  const location = reader.string(obj, 'location', { path, optional: true });
  const dataset =
    reader.string(obj, 'dataset', {
      path,
      pattern: BIGQUERY_DATASET,
      hint: 'letters, digits and underscores (dataset names are case-sensitive)',
    }) ?? '';
  return {
    type: 'bigquery',
    project:
      reader.string(obj, 'project', {
        path,
        pattern: BIGQUERY_PROJECT,
        hint: 'a Google Cloud project id: 6–30 lowercase letters, digits and hyphens',
      }) ?? '',
    dataset,
    schema: dataset,
    ...(location !== undefined ? { location } : {}),
    // A key file path in the config is read from the config's folder, as DuckDB's path is.
    ...(credentials !== undefined ? { credentials: resolve(dirname(file), credentials) } : {}),
    ...(apiEndpoint !== undefined ? { apiEndpoint: apiEndpoint.replace(/\/$/, '') } : {}),
  };
}

function readDuckDb(reader: Reader, obj: Record<string, unknown>, file: string): DuckDbDestination {
  const path = 'destination';
  reader.only(obj, path, ['type', 'path', 'schema', 'memoryLimit', 'threads']);
  const databaseFile = reader.string(obj, 'path', { path }) ?? '';
  const memoryLimit = reader.string(obj, 'memoryLimit', {
    path,
    optional: true,
    pattern: /^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i,
    hint: 'a size such as 512MB or 2GB',
  });
  const threads = reader.integer(obj, 'threads', { path, min: 1, max: 256, optional: true });
  return {
    type: 'duckdb',
    path: databaseFile === '' ? '' : resolve(dirname(file), databaseFile),
    schema: reader.string(obj, 'schema', { path, optional: true }) ?? 'main',
    ...(memoryLimit !== undefined ? { memoryLimit } : {}),
    ...(threads !== undefined ? { threads } : {}),
  };
}

function readSnowflake(reader: Reader, obj: Record<string, unknown>): SnowflakeDestination {
  const path = 'destination';
  reader.only(obj, path, [
    'type',
    'account',
    'user',
    'password',
    'database',
    'schema',
    'warehouse',
    'role',
    'host',
    'port',
    'protocol',
  ]);
  return {
    type: 'snowflake',
    account: reader.string(obj, 'account', { path }) ?? '',
    user: reader.string(obj, 'user', { path }) ?? '',
    password: reader.string(obj, 'password', { path, optional: true }),
    database: objectName(reader, reader.string(obj, 'database', { path }), `${path}.database`),
    schema: objectName(reader, reader.string(obj, 'schema', { path }), `${path}.schema`),
    warehouse: reader.string(obj, 'warehouse', { path, optional: true }),
    role: reader.string(obj, 'role', { path, optional: true }),
    host: reader.string(obj, 'host', { path, optional: true }),
    port: reader.integer(obj, 'port', { path, min: 1, max: 65535, optional: true }),
    protocol: reader.oneOf(obj, 'protocol', ['https', 'http'] as const, { path, optional: true }) ?? 'https',
  };
}

function objectName(reader: Reader, raw: string | undefined, field: string): string {
  if (raw === undefined) return '';
  const resolved = snowflakeObjectName(raw, field);
  if ('problem' in resolved) reader.problems.push(resolved.problem);
  return 'name' in resolved ? resolved.name : '';
}

function readSettings(reader: Reader, value: unknown): PipelineSettings {
  if (value === undefined) return { ...DEFAULT_SETTINGS };
  const obj = reader.object(value, 'settings');
  if (!obj) return { ...DEFAULT_SETTINGS };
  const path = 'settings';
  reader.only(obj, path, [
    'mode',
    'partitionRows',
    'maxParallelPartitions',
    'maxParallelTables',
    'identifierCase',
    'onUnrepresentable',
    'snapshot',
    'heartbeatTimeoutSeconds',
    'compression',
  ]);
  return {
    mode: reader.oneOf(obj, 'mode', MODES, { path, optional: true }) ?? DEFAULT_SETTINGS.mode,
    partitionRows:
      reader.integer(obj, 'partitionRows', { path, min: 1, optional: true }) ?? DEFAULT_SETTINGS.partitionRows,
    maxParallelPartitions:
      reader.integer(obj, 'maxParallelPartitions', { path, min: 1, max: 64, optional: true }) ??
      DEFAULT_SETTINGS.maxParallelPartitions,
    maxParallelTables:
      reader.integer(obj, 'maxParallelTables', { path, min: 1, max: 64, optional: true }) ??
      DEFAULT_SETTINGS.maxParallelTables,
    identifierCase:
      reader.oneOf(obj, 'identifierCase', IDENTIFIER_CASES, { path, optional: true }) ??
      DEFAULT_SETTINGS.identifierCase,
    onUnrepresentable:
      reader.oneOf(obj, 'onUnrepresentable', UNREPRESENTABLE_POLICIES, { path, optional: true }) ??
      DEFAULT_SETTINGS.onUnrepresentable,
    snapshot: reader.oneOf(obj, 'snapshot', SNAPSHOT_MODES, { path, optional: true }) ?? DEFAULT_SETTINGS.snapshot,
    // Above the 5 s heartbeat interval with room for a busy event loop.
    heartbeatTimeoutSeconds:
      reader.integer(obj, 'heartbeatTimeoutSeconds', { path, min: 10, max: 3600, optional: true }) ??
      DEFAULT_SETTINGS.heartbeatTimeoutSeconds,
    compression:
      reader.oneOf(obj, 'compression', COMPRESSION_SETTINGS, { path, optional: true }) ?? DEFAULT_SETTINGS.compression,
  };
}

function readTables(reader: Reader, value: unknown, defaultMode: LoadMode): TableSelection[] {
  if (!Array.isArray(value) || value.length === 0) {
    reader.problems.push(
      '`tables`: required, a non-empty list of `{ name: schema.table }` or `{ schema: s, include: [...], ' +
        'exclude: [...] }` entries',
    );
    return [];
  }
  const selections: TableSelection[] = [];
  value.forEach((item, index) => {
    const path = `tables[${index}]`;
    if (typeof item === 'string') {
      const name = splitTableName(reader, item, path);
      if (name) selections.push({ kind: 'table', ...name, overrides: {} });
      return;
    }
    const obj = reader.object(item, path);
    if (!obj) return;
    const overrides = readOverrides(reader, obj, path, defaultMode);
    if ('name' in obj) {
      reader.only(obj, path, [
        'name',
        'target',
        'mode',
        'partitionRows',
        'maxParallelPartitions',
        'snapshot',
        'columns',
        ...INCREMENTAL_KEYS,
      ]);
      const raw = reader.string(obj, 'name', { path });
      const name = raw === undefined ? undefined : splitTableName(reader, raw, `${path}.name`);
      const target = reader.string(obj, 'target', { path, optional: true });
      if (name) selections.push({ kind: 'table', ...name, target, overrides });
    } else if ('schema' in obj) {
      reader.only(obj, path, [
        'schema',
        'include',
        'exclude',
        'mode',
        'partitionRows',
        'maxParallelPartitions',
        'snapshot',
        'columns',
        ...INCREMENTAL_KEYS,
      ]);
      const schema = reader.string(obj, 'schema', { path });
      const include = reader.stringList(obj, 'include', { path }) ?? ['*'];
      const exclude = reader.stringList(obj, 'exclude', { path }) ?? [];
      if (schema !== undefined) selections.push({ kind: 'schema', schema, include, exclude, overrides });
    } else {
      reader.problems.push(
        `\`${path}\`: needs \`name\` (one table, as schema.table) or \`schema\` (every table of a schema)`,
      );
    }
  });
  return selections;
}

function readOverrides(
  reader: Reader,
  obj: Record<string, unknown>,
  path: string,
  defaultMode: LoadMode,
): TableOverrides {
  const mode = reader.oneOf(obj, 'mode', MODES, { path, optional: true });
  return {
    mode,
    partitionRows: reader.integer(obj, 'partitionRows', { path, min: 1, optional: true }),
    maxParallelPartitions: reader.integer(obj, 'maxParallelPartitions', { path, min: 1, max: 64, optional: true }),
    snapshot: reader.oneOf(obj, 'snapshot', SNAPSHOT_MODES, { path, optional: true }),
    incremental: readIncremental(reader, obj, path, mode ?? defaultMode),
    columns: readColumnChoice(reader, obj.columns, `${path}.columns`),
  };
}

/** `columns: { exclude: [...], asText: [...] }`: names or globs; a pattern in both lists is a mistake. */
function readColumnChoice(reader: Reader, value: unknown, path: string): ColumnChoice | undefined {
  if (value === undefined) return undefined;
  const obj = reader.object(value, path);
  if (!obj) return undefined;
  reader.only(obj, path, ['exclude', 'asText']);
  const exclude = reader.stringList(obj, 'exclude', { path }) ?? [];
  const asText = reader.stringList(obj, 'asText', { path }) ?? [];
  for (const pattern of exclude.filter((p) => asText.includes(p)))
    reader.problems.push(`\`${path}\`: "${pattern}" is in both \`exclude\` and \`asText\`; keep it in one`);
  return { exclude, asText };
}

/** Incremental keys are required by (and only allowed with) the incremental modes. */
function readIncremental(
  reader: Reader,
  obj: Record<string, unknown>,
  path: string,
  mode: LoadMode,
): IncrementalSpec | undefined {
  const given = INCREMENTAL_KEYS.filter((key) => obj[key] !== undefined);
  if (mode === 'full_refresh') {
    for (const key of given)
      reader.problems.push(`\`${path}.${key}\`: only for mode incremental_append or incremental_merge`);
    return undefined;
  }
  const cursor = reader.string(obj, 'cursor', { path });
  if (cursor === undefined) return undefined;
  const lookback = reader.string(obj, 'lookback', {
    path,
    optional: true,
    pattern: LOOKBACK,
    hint: "a whole number for integer cursors, or e.g. '10 minutes' (second, minute, hour, day)",
  });
  const lateCommits = reader.oneOf(obj, 'lateCommits', LATE_COMMITS, { path, optional: true });
  const primaryKey = obj.primaryKey === undefined ? undefined : reader.stringList(obj, 'primaryKey', { path });
  let softDelete: IncrementalSpec['softDelete'];
  if (obj.softDelete !== undefined) {
    const soft = reader.object(obj.softDelete, `${path}.softDelete`);
    if (soft) {
      reader.only(soft, `${path}.softDelete`, ['column', 'action']);
      const column = reader.string(soft, 'column', { path: `${path}.softDelete` });
      const action =
        reader.oneOf(soft, 'action', ['delete', 'flag'] as const, { path: `${path}.softDelete`, optional: true }) ??
        'delete';
      if (mode !== 'incremental_merge')
        reader.problems.push(
          `\`${path}.softDelete\`: only for mode incremental_merge (append keeps every row it reads)`,
        );
      if (column !== undefined) softDelete = { column, action };
    }
  }
  return {
    cursor,
    ...(lookback ? { lookback } : {}),
    ...(lateCommits ? { lateCommits } : {}),
    ...(primaryKey ? { primaryKey } : {}),
    ...(softDelete ? { softDelete } : {}),
  };
}

/**
 * `schema.table`, where either part may be double-quoted to hold dots or keep its case exactly
 * (`"Sales"."Order Items"`); unquoted parts are taken as written, since PostgreSQL names are matched exactly.
 */
function splitTableName(reader: Reader, raw: string, path: string): { schema: string; name: string } | undefined {
  const [schema, name, ...more] = splitQualified(raw) ?? [];
  if (!schema || !name || more.length > 0) {
    reader.problems.push(
      `\`${path}\`: "${raw}" is not schema.table (quote a part that contains a dot: "my.schema".table)`,
    );
    return undefined;
  }
  return { schema, name };
}

/** Splits a dotted name honouring double quotes (`""` inside quotes is one quote). */
export function splitQualified(raw: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  let i = 0;
  while (i < raw.length) {
    const ch = raw[i];
    if (ch === '"') {
      const start = i + 1;
      let j = start;
      let text = '';
      for (;;) {
        if (j >= raw.length) return undefined;
        if (raw[j] === '"') {
          if (raw[j + 1] === '"') {
            text += '"';
            j += 2;
            continue;
          }
          break;
        }
        text += raw[j];
        j++;
      }
      current += text;
      i = j + 1;
    } else if (ch === '.') {
      parts.push(current);
      current = '';
      i++;
    } else {
      current += ch;
      i++;
    }
  }
  parts.push(current);
  return parts;
}

interface FieldOptions {
  path?: string;
  optional?: boolean;
}

/** Reads an untyped document, interpolating `${VAR}` and collecting problems with their keys. */
class Reader {
  readonly problems: string[] = [];

  constructor(
    readonly file: string,
    readonly env: NodeJS.ProcessEnv,
    private readonly resolveSecrets: boolean,
  ) {}

  error(): ConfigError {
    return new ConfigError(this.file, this.problems);
  }

  object(value: unknown, path: string): Record<string, unknown> | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.problems.push(
        path
          ? `\`${path}\`: required, a mapping of keys`
          : 'the file must hold a mapping (name, source, destination, tables)',
      );
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  only(obj: Record<string, unknown>, path: string, known: string[]): void {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) {
        this.problems.push(`\`${join(path, key)}\`: unknown key (known here: ${known.join(', ')})`);
      }
    }
  }

  string(
    obj: Record<string, unknown>,
    key: string,
    options: FieldOptions & { pattern?: RegExp; hint?: string } = {},
  ): string | undefined {
    const path = join(options.path ?? '', key);
    const raw = obj[key];
    if (raw === undefined || raw === null) {
      if (!options.optional) this.problems.push(`\`${path}\`: required`);
      return undefined;
    }
    if (typeof raw !== 'string' && typeof raw !== 'number') {
      this.problems.push(`\`${path}\`: expected text, got ${describe(raw)}`);
      return undefined;
    }
    const secret = SECRET_KEYS.has(key);
    if (secret && typeof raw === 'string' && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(raw.trim())) {
      this.problems.push(
        `\`${path}\`: write a reference to an environment variable such as \${SNOWFLAKE_PASSWORD}, not the ` +
          `secret itself`,
      );
      return undefined;
    }
    const value = this.interpolate(String(raw), path, secret);
    if (value === undefined) return undefined;
    if (value === '' && !options.optional) {
      this.problems.push(`\`${path}\`: must not be empty`);
      return undefined;
    }
    if (options.pattern && !options.pattern.test(value)) {
      this.problems.push(`\`${path}\`: "${value}" is not allowed (${options.hint ?? options.pattern.source})`);
      return undefined;
    }
    return value === '' ? undefined : value;
  }

  integer(
    obj: Record<string, unknown>,
    key: string,
    options: FieldOptions & { min?: number; max?: number } = {},
  ): number | undefined {
    const text = this.string(obj, key, options);
    if (text === undefined) return undefined;
    const path = join(options.path ?? '', key);
    const value = Number(text.replace(/_/g, ''));
    if (
      !Number.isSafeInteger(value) ||
      (options.min !== undefined && value < options.min) ||
      (options.max !== undefined && value > options.max)
    ) {
      const range = `${options.min ?? '-∞'}..${options.max ?? '∞'}`;
      this.problems.push(`\`${path}\`: expected a whole number in ${range}, got "${text}"`);
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(
    obj: Record<string, unknown>,
    key: string,
    allowed: readonly T[],
    options: FieldOptions = {},
  ): T | undefined {
    const value = this.string(obj, key, options);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`\`${join(options.path ?? '', key)}\`: "${value}" is not one of ${allowed.join(', ')}`);
      return undefined;
    }
    return value as T;
  }

  stringList(obj: Record<string, unknown>, key: string, options: FieldOptions = {}): string[] | undefined {
    const raw = obj[key];
    const path = join(options.path ?? '', key);
    if (raw === undefined) return undefined;
    if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string')) {
      this.problems.push(`\`${path}\`: expected a list of text patterns such as ["orders*", "customers"]`);
      return undefined;
    }
    return raw as string[];
  }

  /** Replaces `${VAR}` and `${VAR:-default}`; an unset variable without a default is a problem. */
  private interpolate(text: string, path: string, secret: boolean): string | undefined {
    const missing: string[] = [];
    const value = text.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (_, name: string, fallback: string | undefined) => {
        const found = this.env[name];
        if (found !== undefined && found !== '') return found;
        if (fallback !== undefined) return fallback;
        if (!secret || this.resolveSecrets) {
          this.problems.push(`\`${path}\`: environment variable ${name} is not set`);
        }
        missing.push(name);
        return '';
      },
    );
    return missing.length > 0 ? undefined : value;
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`;
}
