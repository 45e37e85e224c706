import { Context } from '@temporalio/activity';
import { classifyPostgresError, connectPostgres } from '../connectors/postgres/connect';
import { exportSnapshot } from '../connectors/postgres/snapshot';
import { SNAPSHOT_READY_SIGNAL } from '../ids';
import { quoteLiteral } from '../connectors/postgres/sql';
import { qualifiedName, type SharedSnapshot, type TableJob } from '../shared';
import { pipelineConfig, runActivity, type ActivityContext } from './context';

export interface HoldSnapshotInput {
  job: TableJob;
  generation: number;
}

/**
 * Exports a snapshot of the source for one table's partitions, hands its ID to the table workflow
 * (a signal: the activity must keep running, since the snapshot lives only as long as the exporting
 * transaction) and holds that transaction open, heartbeating, until the workflow cancels it after
 * the extraction. If the holder dies the snapshot dies with it: extracts that have not imported it
 * yet fail with SnapshotLost and the workflow establishes a new one.
 */
export function holdSnapshotActivity(context: ActivityContext) {
  return async function holdSnapshot({ job, generation }: HoldSnapshotInput): Promise<void> {
    const config = pipelineConfig(context, job.pipeline);
    const activity = Context.current();
    const table = qualifiedName(job.source);
    await runActivity(async (report) => {
      const client = await connectPostgres(config.source);
      // Operators can find the holder in pg_stat_activity (and see why a transaction stays open).
      await client.query(`SET application_name = ${quoteLiteral(`conduit snapshot ${table}`.slice(0, 63))}`);
      const ended = new Promise<never>((_, reject) => {
        const lost = (error?: Error) =>
          reject(
            new Error(`the connection holding the snapshot of ${table} ended${error ? `: ${error.message}` : ''}`),
          );
        client.on('error', lost);
        client.once('end', () => lost());
      });
      ended.catch(() => undefined);
      try {
        let id: string;
        try {
          id = await exportSnapshot(client);
        } catch (error) {
          throw classifyPostgresError(error, `exporting a snapshot of ${table}`);
        }
        const snapshot: SharedSnapshot = { id, generation };
        // Heartbeat at once, not at the first tick: the snapshot ID shows in the pending activity.
        const details = { snapshot: id, generation, phase: 'holding' };
        report(details);
        activity.heartbeat(details);
        const owner = activity.info.workflowExecution;
        if (!owner) throw new Error('holdSnapshot must run on behalf of a table workflow');
        await activity.client.workflow.getHandle(owner.workflowId, owner.runId).signal(SNAPSHOT_READY_SIGNAL, snapshot);
        // Until the workflow cancels (delivered with a heartbeat) or the connection is lost.
        await Promise.race([activity.cancelled, ended]);
      } finally {
        await client.end().catch(() => undefined);
      }
    });
  };
}
