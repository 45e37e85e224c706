export { pipelineRun, pipelineStatusQuery } from './pipeline-run';
export { tableRefresh, tableProgressQuery } from './table-refresh';
export { tableIncremental } from './table-incremental';
export { extractBatch, batchProgressQuery } from './extract-batch';
export { scheduledPipelineRun, type ScheduledRunResult } from './scheduled-run';
