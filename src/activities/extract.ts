import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { Codec } from '../config/compression';
import { connectPostgres, classifyPostgresError } from '../connectors/postgres/connect';
import { CODEC_EXTENSION, resolveCodec } from '../connectors/compression';
import type { DestinationCapabilities } from '../connectors/destination';
import { PermanentError } from '../connectors/errors';
import { edgeRule } from '../connectors/postgres/edges';
import { extractStatement, extractToFile, type ExtractProgress } from '../connectors/postgres/extract';
import { faultPoint } from '../faults';
import { known } from '../invariant';
import { qualifiedName, type ExtractPartitionInput, type PartitionResult } from '../shared';
import {
  capabilitiesOf,
  pipelineConfig,
  runActivity,
  tableDestination,
  type ActivityContext,
  type ReportProgress,
} from './context';
import { FailureType } from '../failure-types';

/**
 * Staged file of a partition: deterministic, so a redone partition overwrites its own earlier upload.
 * A re-established snapshot (generation ≥ 1) gets names of its own, so a straggling extract of the
 * lost snapshot can never overwrite a file read from the new one.
 */
export function partitionFileName(partition: number, codec: Codec, snapshotGeneration = 0): string {
  const generation = snapshotGeneration > 0 ? `-s${snapshotGeneration}` : '';
  return `part-${String(partition).padStart(6, '0')}${generation}.csv${CODEC_EXTENSION[codec]}`;
}

/**
 * Streams one partition from PostgreSQL through the compressor to a local file and uploads it to the
 * run's stage. A retry redoes the whole partition and overwrites the file, so nothing is staged
 * twice (a retry on a worker with another codec stages a file of another name; the load reads only
 * the files the partition results name).
 */
export function extractPartitionActivity(context: ActivityContext) {
  return async function extractPartition(input: ExtractPartitionInput): Promise<PartitionResult> {
    const config = pipelineConfig(context, input.job.pipeline);
    const activity = Context.current();
    return runActivity(async (report) => {
      const folder = join(context.workDir, input.stage.name);
      await mkdir(folder, { recursive: true });
      const destination = capabilitiesOf(input.job, config);
      const codec = stagedCodec(resolveCodec(tableDestination(input.job, config).compression), destination);
      const fileName = partitionFileName(input.partition, codec, input.snapshot?.generation);
      const file = join(folder, fileName);
      // A session the worker kept, or else a login running while the partition is extracted, so its
      // round trips (several hundred ms against a real account) cost nothing; a login error
      // surfaces where the session is first needed, after the extract, as before.
      const session = context.destinations.acquire(config);
      session.catch(() => undefined);
      let failed = false;
      try {
        const progress = await extract(input, config.source, file, codec, destination, activity, report);
        const unrepresentable = checkUnrepresentable(input, progress.edges, destination);
        if (progress.rows === 0) return { partition: input.partition, rows: 0, bytes: 0 };
        report({ ...progress, phase: 'upload' });
        await (await session).upload(input.stage, file, codec);
        faultPoint('extract.after-stage');
        return {
          partition: input.partition,
          rows: progress.rows,
          bytes: progress.bytes,
          file: fileName,
          unrepresentable,
        };
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        await rm(file, { force: true });
        await session.then(
          (open) => context.destinations.release(config, open, !failed),
          () => undefined,
        );
      }
    });
  };
}

/** The worker's codec when the destination loads it, else the destination's first choice. */
function stagedCodec(codec: Codec, destination: DestinationCapabilities): Codec {
  return destination.codecs.includes(codec) ? codec : known(destination.codecs[0], 'a destination loads a codec');
}

/**
 * Applies the pipeline's policy to the values the destination cannot hold: under `null` they were
 * written as NULL and are reported; otherwise the table fails before anything is loaded.
 */
function checkUnrepresentable(
  input: ExtractPartitionInput,
  edges: Map<number, number>,
  destination: DestinationCapabilities,
): Record<string, number> | undefined {
  if (edges.size === 0) return undefined;
  const counts: Record<string, number> = {};
  const column = (index: number) => known(input.columns[index], 'edge counts are keyed by column index');
  for (const [index, count] of edges) counts[column(index).source] = count;
  if (input.job.onUnrepresentable === 'null') return counts;
  const list = [...edges].map(([index, count]) => {
    const plan = column(index);
    const rule = edgeRule(plan, destination.limits);
    return `${count} in "${plan.source}" (${plan.sourceType}): ${rule?.description ?? 'unrepresentable'}`;
  });
  const advice =
    input.job.onUnrepresentable === 'fail'
      ? 'set settings.onUnrepresentable to "null" (load NULL, counted in the summary) or "string" (land the ' +
        'column as text)'
      : `values over ${destination.displayName}'s size limits have no text form; use "null" or exclude the column`;
  throw new PermanentError(
    `${qualifiedName(input.job.source)} has values ${destination.displayName} cannot hold exactly: ` +
      `${list.join('; ')}. ` +
      `Nothing was loaded; ${advice}`,
    FailureType.UnrepresentableValue,
  );
}

async function extract(
  input: ExtractPartitionInput,
  source: Parameters<typeof connectPostgres>[0],
  file: string,
  codec: Codec,
  destination: DestinationCapabilities,
  activity: Context,
  report: ReportProgress,
): Promise<Awaited<ReturnType<typeof extractToFile>>> {
  const client = await connectPostgres(source);
  // Cancellation (or a lost heartbeat) ends the COPY by closing its connection.
  const cancel = () => void client.end().catch(() => undefined);
  activity.cancellationSignal.addEventListener('abort', cancel);
  try {
    const statement = extractStatement(input.job.source, input.columns, input.range, destination.limits, input.window);
    const onProgress = (progress: ExtractProgress) => {
      report({ ...progress, phase: 'extract' });
      faultPoint('extract.mid-stream');
    };
    return await extractToFile(client, statement, file, codec, onProgress, input.snapshot?.id);
  } catch (error) {
    if (activity.cancellationSignal.aborted) throw activity.cancellationSignal.reason;
    throw classifyPostgresError(error, `extracting partition ${input.partition} of ${qualifiedName(input.job.source)}`);
  } finally {
    activity.cancellationSignal.removeEventListener('abort', cancel);
    await client.end().catch(() => undefined);
  }
}
