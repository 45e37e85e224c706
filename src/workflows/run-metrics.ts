import { metricMeter } from '@temporalio/workflow';
import { qualifiedName, type TableJob } from '../shared';

// The workflow meter emits nothing while a history replays, so a resumed run is not counted twice.
type Outcome = 'succeeded' | 'failed';

export function recordTableOutcome(pipeline: string, job: TableJob, outcome: Outcome, seconds: number): void {
  const tags = { pipeline, table: qualifiedName(job.source), mode: job.mode, outcome };
  metricMeter.createCounter('conduit_table_runs', '', 'Tables finished, by outcome').add(1, tags);
  metricMeter.createHistogram('conduit_table_duration', 'float', 'seconds', 'One table of a run').record(seconds, tags);
}

export function recordRunOutcome(pipeline: string, outcome: Outcome, seconds: number): void {
  metricMeter
    .createHistogram('conduit_pipeline_run_duration', 'float', 'seconds', 'Pipeline runs, start to end')
    .record(seconds, { pipeline, outcome });
}
