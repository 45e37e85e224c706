/**
 * What `conduit --help`, `conduit help COMMAND` and `conduit COMMAND --help` print, and the version
 * `conduit --version` prints (the package's own, read from its package.json at run time).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEDULE_USAGE } from './schedule';
import { STATE_USAGE } from './state';

/** Each command's usage: its synopsis line(s), then what it does, indented. */
export const COMMAND_USAGE = {
  run: `conduit run --config FILE [--table schema.table ...] [--full-refresh schema.table ...] [--worker]
      Start a run of the pipeline (or join the one already running), show progress, print a
      summary; exit 1 if any table failed. --worker runs a worker in this process for the run
      (its log goes to a file the summary names; the terminal gets one line per failure).
      --full-refresh reloads an incremental table whole and resets its cursor (repeatable).`,
  state: STATE_USAGE,
  worker: `conduit worker --config FILE [--config FILE ...] [--max-activities N] [--shutdown-grace SECONDS]
                 [--metrics-port PORT [--metrics-host ADDRESS]]
      Run a worker serving these pipelines until SIGINT/SIGTERM (in-flight work is finished first,
      for up to --shutdown-grace, default 30). --max-activities caps activities at once on this
      worker (each partition extract is one; default 8). Checks Temporal, PostgreSQL and Snowflake
      at start-up and prints what it reached. --metrics-port serves /metrics (Prometheus: Temporal's
      worker metrics and Conduit's), /healthz and /readyz on ADDRESS (default 0.0.0.0).`,
  status: `conduit status (--config FILE | --pipeline NAME) [--watch]
      The pipeline's current or last run: state, partitions, rows and bytes per table, and the
      partitions in flight. --watch redraws every 2 s until the run ends.`,
  schedule: SCHEDULE_USAGE,
  validate: `conduit validate --config FILE
      Check a pipeline file and the environment variables it names; print what is wrong.`,
  dev: `conduit dev
      Start local Temporal (with UI), PostgreSQL and the Snowflake emulator; print their environment.
      The first start provisions the emulator (a Python venv) and, without a \`temporal\` on PATH,
      builds the Temporal CLI (needs Go), in ./.conduit of a checkout or else
      \${CONDUIT_CACHE_DIR:-~/.cache/conduit}.`,
  demo: `conduit demo [--destination snowflake|duckdb]
      Start the local services (as conduit dev), create sample tables, run the demo pipeline, print
      the summary. --destination duckdb loads into ./conduit-demo.duckdb (or $CONDUIT_DEMO_DUCKDB)
      without starting the Snowflake emulator, and prints how to query the file.`,
} as const;

export type CommandName = keyof typeof COMMAND_USAGE;

const FOOTER = `Environment: CONDUIT_LOG_LEVEL (TRACE…ERROR) sets the log level; CONDUIT_LOG_FORMAT=json writes
JSON lines (with pipeline/table/partition fields on activity lines) to stdout; CONDUIT_LOG_DIR is
where run --worker and demo write their worker's log (default: conduit-logs in the OS temp folder).
Without --config: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, CONDUIT_TASK_QUEUE.

Exit codes: 0 success, 1 the run failed (the message names the table and why), 2 bad usage or
pipeline file, 3 a service could not be reached or refused the login (with --worker this is
checked before the run starts).`;

export const USAGE = `conduit — durable PostgreSQL → Snowflake ingestion on Temporal

Usage:
${Object.values(COMMAND_USAGE)
  .map((text) => `  ${text}`)
  .join('\n')}
  conduit --version | conduit help [COMMAND] | conduit COMMAND --help

${FOOTER}`;

export function isCommand(name: string | undefined): name is CommandName {
  return name !== undefined && Object.prototype.hasOwnProperty.call(COMMAND_USAGE, name);
}

export function commandUsage(command: CommandName): string {
  return `Usage:\n  ${COMMAND_USAGE[command]}\n\n${FOOTER}`;
}

/** The installed package's version: package.json two levels up, from src/cli (tests) and dist/cli alike. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
