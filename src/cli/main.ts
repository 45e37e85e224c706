import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { ConfigError, loadPipelineFile } from '../config/load';
import { createConduitWorker } from '../worker';
import { demoCommand } from './demo';
import { devCommand } from './dev';
import { runCommand } from './run';

const USAGE = `conduit — durable PostgreSQL → Snowflake ingestion on Temporal

Usage:
  conduit run --config FILE [--table schema.table ...] [--worker]
      Start a run of the pipeline (or join the one already running), show progress, print a
      summary; exit 1 if any table failed. --worker runs a worker in this process for the run.
  conduit worker --config FILE [--config FILE ...]
      Run a worker serving these pipelines until SIGINT/SIGTERM (in-flight work is finished first).
  conduit validate --config FILE
      Check a pipeline file and the environment variables it names; print what is wrong.
  conduit dev
      Start local Temporal (with UI), PostgreSQL and the Snowflake emulator; print their environment.
  conduit demo
      Start the local services, create sample tables, run the demo pipeline, print the summary.

Environment: CONDUIT_LOG_LEVEL (TRACE…ERROR) sets the worker's log level.

Exit codes: 0 success, 1 the run failed, 2 bad usage or pipeline file, 3 could not reach a service.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string', multiple: true },
      table: { type: 'string', multiple: true },
      worker: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (!command || values.help || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const configs = values.config ?? [];
  // A long-running worker logs its life; commands that embed one keep the terminal for progress.
  const defaultLevel: LogLevel = command === 'worker' ? 'INFO' : 'WARN';
  Runtime.install({ logger: new DefaultLogger((process.env.CONDUIT_LOG_LEVEL as LogLevel | undefined) ?? defaultLevel) });
  switch (command) {
    case 'run': {
      const file = single(configs);
      const config = loadPipelineFile(file, { resolveSecrets: values.worker });
      const ok = await runCommand({ config, tables: values.table, embeddedWorker: values.worker });
      return ok ? 0 : 1;
    }
    case 'worker': {
      if (configs.length === 0) throw new UsageError('worker needs --config FILE (repeat it to serve several pipelines)');
      const pipelines = configs.map((file) => loadPipelineFile(file));
      const { worker, temporal, close } = await createConduitWorker({ pipelines });
      process.stdout.write(
        `worker serving ${pipelines.map((p) => p.name).join(', ')} on ${temporal.address} namespace ${temporal.namespace} task queue ${temporal.taskQueue}\n`,
      );
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
      await worker.run();
      await close();
      return 0;
    }
    case 'validate': {
      const config = loadPipelineFile(single(configs));
      process.stdout.write(`${config.file}: pipeline "${config.name}" is valid (${config.tables.length} table selections)\n`);
      return 0;
    }
    case 'dev':
      return devCommand();
    case 'demo':
      return demoCommand();
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

function single(configs: string[]): string {
  if (configs.length !== 1) throw new UsageError('give exactly one --config FILE');
  return configs[0];
}

/** Runs the CLI and exits with its code; errors become a message and the exit codes listed in the usage. */
export function runCli(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof ConfigError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(2);
      }
      if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        process.stderr.write(`conduit: ${(error as Error).message}\n\n${USAGE}\n`);
        process.exit(2);
      }
      process.stderr.write(`conduit: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(3);
    },
  );
}

if (require.main === module) runCli(process.argv.slice(2));
