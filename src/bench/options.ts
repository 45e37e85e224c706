/** Command-line options of `npm run bench -- …`. */
import { COMPRESSION_SETTINGS, type CompressionSetting } from '../config/compression';
import { DESTINATION_TYPES } from '../config/pipeline';
import type { DestinationType } from '../shared';
import { known } from '../invariant';

export interface BenchOptions {
  /** Source table sizes, smallest first. */
  rows: number[];
  /** Partition counts run for every size (partitionRows = rows / n, n partitions at once). */
  partitions: number[];
  /** Runs per case; the case reports its median run (by end-to-end time) and keeps every run. */
  repeat: number;
  /** Raw-baseline passes per size; the fastest counts (it is the limit to beat). */
  baselineRepeat: number;
  /** Where results go (`<timestamp>.json`, `.md`, `.svg`). */
  outDir: string;
  /** Folder for `node --cpu-prof` profiles of each worker process; none when absent. */
  cpuProfileDir?: string;
  /** Node flags of the worker processes; WORKER_PROCESS_SETTINGS.nodeFlags unless given. */
  workerNodeFlags?: string[];
  /** Extra environment of the worker processes; WORKER_PROCESS_SETTINGS.env unless given. */
  workerEnv?: Record<string, string>;
  /** Bundle the workflows at worker start (the old behaviour) instead of using the prebuilt bundle. */
  bundleAtStart: boolean;
  /** The pipelines' `settings.compression`. */
  compression: CompressionSetting;
  /** Where the runs load: the Snowflake emulator (default) or a DuckDB file per case. */
  destination: DestinationType;
  /** Measure an incremental window's read instead (PostgreSQL only): rows changed of the largest size. */
  incrementalWindow?: { changed: number; changes: 'updates' | 'inserts' };
}

export const DEFAULT_ROWS = [100_000, 500_000, 1_000_000];
export const LARGE_ROWS = 10_000_000;
export const DEFAULT_PARTITIONS = [1, 2, 4];

export const USAGE = `usage: npm run bench -- [--rows 100000,500000,1000000] [--partitions 1,2,4] [--large]
                       [--repeat N] [--baseline-repeat N] [--out DIR] [--cpu-prof DIR]

  --rows LIST         source table sizes (K/M suffixes allowed: 100K,1M)
  --partitions LIST   partition counts to run for every size (each also the parallelism)
  --large             add the 10M-row table
  --repeat N          runs per case; the median run is reported (default 1)
  --baseline-repeat N raw COPY→gzip passes per size; the fastest counts (default 3)
  --out DIR           results folder (default bench/results)
  --cpu-prof DIR      write a V8 CPU profile of every worker process to DIR
  --worker-node-flags "FLAGS"  Node flags of the worker process (default: the ones a worker
                      is meant to run with, WORKER_PROCESS_SETTINGS in src/worker.ts; "" for none)
  --worker-env "K=V …" extra environment of the worker process (default: WORKER_PROCESS_SETTINGS;
                      "" for none)
  --bundle-at-start   bundle the workflows when the worker starts instead of loading the
                      prebuilt bundle (to compare)
  --compression C     settings.compression of the runs: auto (default), zstd or gzip
  --destination D     snowflake (the emulator, default) or duckdb (a file per case, no emulator)
  --incremental-window  instead: the incremental window read with and without the late-commit
                      protection (PostgreSQL only), on the largest --rows table, --repeat passes
  --changed N         rows changed for --incremental-window (default a tenth of the table)
  --changes KIND      updates (default: rows scattered over every page) or inserts (new rows,
                      the last pages) for --incremental-window

Uses the services named by TEMPORAL_ADDRESS, PGHOST… and SNOWFLAKE_HOST… when all are set
(\`conduit dev\` prints them); otherwise starts its own and stops them at the end.`;

export class UsageError extends Error {}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const options: BenchOptions = {
    rows: [...DEFAULT_ROWS],
    partitions: [...DEFAULT_PARTITIONS],
    repeat: 1,
    baselineRepeat: 3,
    outDir: 'bench/results',
    bundleAtStart: false,
    compression: 'auto',
    destination: 'snowflake',
  };
  let large = false;
  let window = false;
  let changed: number | undefined;
  let changes: 'updates' | 'inserts' | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = known(argv[i], 'i < argv.length');
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined || next === '') throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--rows':
        options.rows = parseList(value(), flag);
        break;
      case '--partitions':
        options.partitions = parseList(value(), flag);
        break;
      case '--large':
        large = true;
        break;
      case '--repeat':
        options.repeat = parseCount(value(), flag);
        break;
      case '--baseline-repeat':
        options.baselineRepeat = parseCount(value(), flag);
        break;
      case '--out':
        options.outDir = value();
        break;
      case '--cpu-prof':
        options.cpuProfileDir = value();
        break;
      case '--worker-node-flags': {
        const text = inline ?? argv[++i];
        if (text === undefined) throw new UsageError(`${flag} needs a value ("" for none)`);
        options.workerNodeFlags = text.split(/\s+/).filter(Boolean);
        break;
      }
      case '--worker-env': {
        const text = inline ?? argv[++i];
        if (text === undefined) throw new UsageError(`${flag} needs a value ("" for none)`);
        const env: Record<string, string> = {};
        for (const pair of text.split(/\s+/).filter(Boolean)) {
          const at = pair.indexOf('=');
          if (at < 1) throw new UsageError(`${flag}: "${pair}" is not NAME=VALUE`);
          env[pair.slice(0, at)] = pair.slice(at + 1);
        }
        options.workerEnv = env;
        break;
      }
      case '--bundle-at-start':
        options.bundleAtStart = true;
        break;
      case '--compression': {
        const given = value();
        const setting = COMPRESSION_SETTINGS.find((known) => known === given);
        if (!setting) throw new UsageError(`${flag}: "${given}" is not one of ${COMPRESSION_SETTINGS.join(', ')}`);
        options.compression = setting;
        break;
      }
      case '--destination': {
        const given = value();
        const type = DESTINATION_TYPES.find((known) => known === given);
        if (!type) throw new UsageError(`${flag}: "${given}" is not one of ${DESTINATION_TYPES.join(', ')}`);
        options.destination = type;
        break;
      }
      case '--incremental-window':
        window = true;
        break;
      case '--changed':
        changed = parseList(value(), flag)[0];
        break;
      case '--changes': {
        const given = value();
        if (given !== 'updates' && given !== 'inserts')
          throw new UsageError(`${flag}: "${given}" is not one of updates, inserts`);
        changes = given;
        break;
      }
      default:
        throw new UsageError(`unknown argument ${arg}`);
    }
  }
  if (large && !options.rows.includes(LARGE_ROWS)) options.rows.push(LARGE_ROWS);
  options.rows = [...new Set(options.rows)].sort((a, b) => a - b);
  options.partitions = [...new Set(options.partitions)].sort((a, b) => a - b);
  if ((changed ?? changes) !== undefined && !window)
    throw new UsageError('--changed and --changes are for --incremental-window');
  if (window) {
    const rows = options.rows.at(-1) ?? LARGE_ROWS;
    options.incrementalWindow = {
      changed: Math.min(rows, changed ?? Math.ceil(rows / 10)),
      changes: changes ?? 'updates',
    };
  }
  return options;
}

/** `100000`, `100K`, `1M`, `1_000_000`, comma separated. */
function parseList(text: string, flag: string): number[] {
  return text.split(',').map((item) => {
    const match = /^(\d[\d_]*)([kKmM]?)$/.exec(item.trim());
    if (!match) throw new UsageError(`${flag}: "${item}" is not a count (e.g. 100000, 500K, 1M)`);
    const [, digits, unit] = match;
    const scale = { k: 1_000, m: 1_000_000 }[known(unit, 'the pattern has a unit group').toLowerCase()] ?? 1;
    const n = Number(known(digits, 'the pattern has a digits group').replace(/_/g, '')) * scale;
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag}: "${item}" must be at least 1`);
    return n;
  });
}

function parseCount(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: "${text}" must be a whole number of at least 1`);
  return n;
}
