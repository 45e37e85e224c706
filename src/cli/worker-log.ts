/**
 * The log of a worker embedded in a command (`conduit run --worker`, `conduit demo`): every entry
 * goes to a file, and the terminal gets one line per warning or error, through the progress output
 * so it never tears the redrawn block. An expected refusal (an unsupported type) used to print
 * pages of stack traces between the progress lines.
 */
import { mkdirSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatWithOptions } from 'node:util';
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';
import { jsonLogLine, type LogFormat } from '../logging';

const NOTICE_LEVELS: readonly LogLevel[] = ['WARN', 'ERROR'];
/** The SDK's line for a failed table or run workflow: the run's summary names each of those already. */
const SUMMARISED = 'Workflow failed';
const NOTICE_CHARS = 200;

export class WorkerLog {
  private readonly fd: number;
  private notify: (line: string) => void;

  /** Opens `defaultWorkerLogPath()` unless told a path; notices go to `fallback` until `onNotice`. */
  constructor(
    readonly path: string = defaultWorkerLogPath(),
    fallback: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {
    mkdirSync(dirname(path), { recursive: true });
    // Written synchronously: the lines that explain a crash must be in the file when it happens.
    // Open for the process's life: the runtime may still log while the command exits.
    this.fd = openSync(path, 'a', 0o600);
    this.notify = fallback;
  }

  /** The runtime logger: entries at `level` and above to the file, in `format`; warnings also as notices. */
  logger(level: LogLevel, format: LogFormat): DefaultLogger {
    return new DefaultLogger(level, (entry) => {
      writeSync(this.fd, `${format === 'json' ? jsonLogLine(entry) : textLogLine(entry)}\n`);
      if (NOTICE_LEVELS.includes(entry.level) && entry.message !== SUMMARISED) this.notify(noticeLine(entry));
    });
  }

  onNotice(notify: (line: string) => void): void {
    this.notify = notify;
  }
}

/** `$CONDUIT_LOG_DIR/run-<time>-<pid>.log`, the folder `<OS temp>/conduit-logs` by default. */
export function defaultWorkerLogPath(now: Date = new Date(), env: NodeJS.ProcessEnv = process.env): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return join(env['CONDUIT_LOG_DIR'] || join(tmpdir(), 'conduit-logs'), `run-${stamp}-${process.pid}.log`);
}

/** Temporal's text format (time, level, message, fields), no colours; one line per entry but for stack traces. */
function textLogLine(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const fields =
    entry.meta === undefined ? '' : ` ${formatWithOptions({ colors: false, breakLength: Infinity }, entry.meta)}`;
  return `${time} [${entry.level}] ${entry.message}${fields}`;
}

/** One line: level, message, which activity and table, and the first line of the error's message. */
export function noticeLine(entry: Pick<LogEntry, 'level' | 'message' | 'meta'>): string {
  const meta: Record<string, unknown> = entry.meta ?? {};
  const parts = [meta['activityType'], meta['table']].filter((p): p is string => typeof p === 'string' && p !== '');
  const partition = meta['partition'];
  if (typeof partition === 'number') parts.push(`partition ${partition}`);
  const where = parts.length > 0 ? ` (${parts.join(' ')})` : '';
  const error = meta['error'];
  const cause = (error instanceof Error ? error.message : typeof error === 'string' ? error : '').split('\n')[0];
  const line = `worker ${entry.level}: ${entry.message}${where}${cause ? `: ${cause}` : ''}`;
  return line.length > NOTICE_CHARS ? `${line.slice(0, NOTICE_CHARS - 1)}…` : line;
}
