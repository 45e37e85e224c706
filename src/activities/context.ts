import { ApplicationFailure, Context } from '@temporalio/activity';
import type { PipelineConfig } from '../config/pipeline';
import type { DestinationCapabilities } from '../connectors/destination';
import { destinationCapabilities } from '../connectors/destinations';
import { PermanentError } from '../connectors/errors';
import { FailureType } from '../failure-types';
import type { DestinationSessions } from '../connectors/sessions';
import type { TableDestination, TableJob } from '../shared';

/**
 * What activities share on one worker: the pipelines it serves (with secrets), a scratch folder, open destination
 * sessions.
 */
export interface ActivityContext {
  pipelines: ReadonlyMap<string, PipelineConfig>;
  /** Local folder for partition files between extract and upload. */
  workDir: string;
  /** Sessions kept between activities; the worker closes them when it stops. */
  destinations: DestinationSessions;
}

/**
 * The table's destination settings as planned; a job an older worker planned has none, and then the pipeline
 * file's apply (as they did before).
 */
export function tableDestination(job: TableJob, config: PipelineConfig): TableDestination {
  return (
    job.destination ?? {
      type: config.destination.type,
      compression: config.settings.compression,
      identifierCase: config.settings.identifierCase,
    }
  );
}

/** What the table's destination holds and loads. */
export function capabilitiesOf(job: TableJob, config: PipelineConfig): DestinationCapabilities {
  const planned = tableDestination(job, config).type;
  if (planned !== config.destination.type) {
    throw new PermanentError(
      `${job.source.schema}.${job.source.name} was planned for a ${planned} destination, but pipeline ` +
        `"${config.name}" on this worker loads into ${config.destination.type}; start a new run`,
      FailureType.InvalidConfig,
    );
  }
  return destinationCapabilities(planned);
}

export function pipelineConfig(context: ActivityContext, name: string): PipelineConfig {
  const config = context.pipelines.get(name);
  if (!config) {
    const known = [...context.pipelines.keys()].join(', ') || 'none';
    throw ApplicationFailure.nonRetryable(
      `pipeline "${name}" is not loaded on this worker (it serves: ${known}); start the worker with ` +
        `--config for that pipeline`,
      'UnknownPipeline',
    );
  }
  return config;
}

/** Heartbeats this often, so a worker that died is noticed within the heartbeat timeout. */
const HEARTBEAT_INTERVAL_MS = 5_000;

/** Lets an activity body publish progress; the latest details ride on every heartbeat. */
export type ReportProgress = (details: Record<string, unknown>) => void;

/**
 * Runs an activity body with a steady heartbeat (also while one long statement runs) and turns
 * errors that retries cannot fix into non-retryable failures.
 */
export async function runActivity<T>(body: (report: ReportProgress) => Promise<T>): Promise<T> {
  const context = Context.current();
  let details: Record<string, unknown> = {};
  const beat = () => context.heartbeat(details);
  const timer = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  try {
    return await body((next) => {
      details = next;
    });
  } catch (error) {
    if (error instanceof PermanentError) throw ApplicationFailure.nonRetryable(error.message, error.kind);
    throw error;
  } finally {
    clearInterval(timer);
  }
}
