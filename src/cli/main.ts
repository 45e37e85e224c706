import { parseArgs } from 'node:util';
import { Runtime, type LogLevel } from '@temporalio/worker';
import { ConfigError, loadPipelineFile } from '../config/load';
import { DESTINATION_TYPES } from '../config/pipeline';
import type { DestinationType } from '../shared';
import { freePort } from '../dev/ports';
import { createLogger, logFormatFromEnv, logLevelFromEnv } from '../logging';
import { prometheusTelemetry } from '../observability/metrics';
import { startTracingFromEnv, type Tracing } from '../observability/tracing';
import { demoCommand } from './demo';
import { devCommand } from './dev';
import { preflight } from './preflight';
import { runCommand } from './run';
import { CommandUsageError, pipelineTarget, scheduleCommand } from './schedule';
import { stateCommand } from './state';
import { statusCommand } from './status';
import { commandUsage, isCommand, packageVersion, USAGE } from './usage';
import { workerCommand } from './worker';
import { WorkerLog } from './worker-log';

const HELP_FLAGS = ['--help', '-h'];

function demoDestination(value: string | undefined): DestinationType {
  if (value === undefined) return 'snowflake';
  const found = DESTINATION_TYPES.find((type) => type === value);
  if (!found) throw new UsageError(`demo --destination: expected ${DESTINATION_TYPES.join(' or ')}, got "${value}"`);
  return found;
}

export async function main(argv: string[], tracing?: Tracing): Promise<number> {
  const command = argv.at(0);
  const rest = argv.slice(1);
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  // `conduit`, `conduit --help`, `conduit help [COMMAND]`, `conduit COMMAND --help` (before any
  // option parsing, so a command's own parser never sees the flag).
  if (command === undefined || HELP_FLAGS.includes(command) || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    if (topic !== undefined && !isCommand(topic)) throw new UsageError(`unknown command "${topic}"`);
    process.stdout.write(`${topic === undefined ? USAGE : commandUsage(topic)}\n`);
    return command === undefined ? 2 : 0;
  }
  if (isCommand(command) && rest.some((arg) => HELP_FLAGS.includes(arg))) {
    process.stdout.write(`${commandUsage(command)}\n`);
    return 0;
  }
  // Has subcommands and options of its own.
  if (command === 'schedule') return scheduleCommand(rest);
  if (command === 'state') return stateCommand(rest);
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string', multiple: true },
      table: { type: 'string', multiple: true },
      'full-refresh': { type: 'string', multiple: true },
      worker: { type: 'boolean', default: false },
      pipeline: { type: 'string' },
      watch: { type: 'boolean', default: false },
      'max-activities': { type: 'string' },
      'shutdown-grace': { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
      destination: { type: 'string' },
    },
    allowPositionals: false,
  });
  const configs = values.config ?? [];
  const format = logFormatFromEnv();
  // A long-running worker logs its life. A worker inside a command (run --worker, demo) logs to a
  // file, and the terminal keeps the progress with one line per warning.
  const workerLog = (command === 'run' && values.worker) || command === 'demo' ? new WorkerLog() : undefined;
  const defaultLevel: LogLevel = command === 'worker' ? 'INFO' : 'WARN';
  const metricsPort = command === 'worker' ? port('--metrics-port', values['metrics-port']) : undefined;
  // The runtime's exporter listens on loopback only; the worker's metrics port relays it (/metrics).
  const exporterAddress = metricsPort !== undefined ? `127.0.0.1:${await freePort()}` : undefined;
  Runtime.install({
    logger: workerLog
      ? workerLog.logger(logLevelFromEnv('INFO'), format)
      : createLogger(logLevelFromEnv(defaultLevel), format),
    ...(exporterAddress ? { telemetryOptions: prometheusTelemetry(exporterAddress) } : {}),
  });
  switch (command) {
    case 'run': {
      const file = single(configs);
      const config = loadPipelineFile(file, { resolveSecrets: values.worker });
      if (values.worker && !(await preflight(config))) return 3;
      const ok = await runCommand({
        config,
        tables: values.table,
        fullRefresh: values['full-refresh'],
        embeddedWorker: values.worker,
        tracing,
        workerLog,
      });
      return ok ? 0 : 1;
    }
    case 'worker': {
      if (configs.length === 0)
        throw new UsageError('worker needs --config FILE (repeat it to serve several pipelines)');
      return workerCommand({
        pipelines: configs.map((file) => loadPipelineFile(file)),
        maxActivities: positiveInt('--max-activities', values['max-activities']),
        shutdownGraceSeconds: positiveInt('--shutdown-grace', values['shutdown-grace']),
        metrics:
          metricsPort !== undefined && exporterAddress
            ? {
                host: values['metrics-host'] ?? '0.0.0.0',
                port: metricsPort,
                temporalMetricsUrl: `http://${exporterAddress}/metrics`,
              }
            : undefined,
        tracing,
      });
    }
    case 'status': {
      const target = pipelineTarget({
        config: configs.length > 0 ? single(configs) : undefined,
        pipeline: values.pipeline,
      });
      if (target.pipeline === undefined) throw new UsageError('status needs --config FILE or --pipeline NAME');
      return statusCommand({ temporal: target.temporal, pipeline: target.pipeline, watchMs: values.watch ? 2000 : 0 });
    }
    case 'validate': {
      const config = loadPipelineFile(single(configs));
      process.stdout.write(
        `${config.file}: pipeline "${config.name}" is valid (${config.tables.length} table selections)\n`,
      );
      return 0;
    }
    case 'dev':
      return devCommand();
    case 'demo':
      return demoCommand(demoDestination(values.destination), workerLog);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number ≥ 1, not "${value}"`);
  return n;
}

function port(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${flag} must be a port from 0 to 65535, not "${value}"`);
  return n;
}

function single(configs: string[]): string {
  const [config, ...others] = configs;
  if (config === undefined || others.length > 0) throw new UsageError('give exactly one --config FILE');
  return config;
}

/** Runs the CLI and exits with its code; errors become a message and the exit codes listed in the usage. */
export function runCli(argv: string[]): void {
  let tracing: Tracing | undefined;
  try {
    tracing = startTracingFromEnv(argv[0] === 'worker' ? 'conduit-worker' : 'conduit');
  } catch (error) {
    process.stderr.write(`conduit: ${(error as Error).message}\n`);
    process.exit(2);
  }
  // Buffered spans are exported before the process ends.
  const exit = (code: number) => void (tracing?.shutdown() ?? Promise.resolve()).finally(() => process.exit(code));
  main(argv, tracing).then(exit, (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return exit(2);
    }
    if (
      error instanceof UsageError ||
      error instanceof CommandUsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      const [command] = argv;
      process.stderr.write(
        `conduit: ${(error as Error).message}\n\n${isCommand(command) ? commandUsage(command) : USAGE}\n`,
      );
      return exit(2);
    }
    process.stderr.write(`conduit: ${error instanceof Error ? error.message : String(error)}\n`);
    return exit(3);
  });
}
