import type { Codec } from '../config/compression';
import type { DestinationType } from '../shared';

/** The benchmark's result file (`bench/results/<timestamp>.json`). Times in seconds, sizes in bytes. */

export interface BenchResults {
  /** ISO time the run started. */
  startedAt: string;
  machine: MachineInfo;
  options: {
    rows: number[];
    partitions: number[];
    repeat: number;
    baselineRepeat: number;
    workerNodeFlags: string[];
    workerEnv: Record<string, string>;
    bundleAtStart: boolean;
    compression: Codec;
    /** Absent in results from before DuckDB: Snowflake (the emulator). */
    destination?: DestinationType;
  };
  /** Whether the services were started by the bench or given through the environment. */
  services: 'started' | 'environment';
  /** One raw baseline per table size. */
  baselines: Baseline[];
  cases: CaseResult[];
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  postgres: string;
  platform: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: number;
  workflowBundle: 'prebuilt' | 'bundled at start';
}

/**
 * The same SELECT the pipeline runs, as one `COPY (SELECT …) TO STDOUT (FORMAT csv)` stream
 * through gzip level 1 to nowhere: the raw limit the extract phase is compared with.
 */
export interface Baseline {
  rows: number;
  /** Fastest pass. */
  seconds: number;
  rowsPerSecond: number;
  /** Every pass. */
  passes: number[];
  csvBytes: number;
  gzipBytes: number;
  /** The same COPY written by the server to /dev/null (PostgreSQL alone); absent without the privilege. */
  serverOnlySeconds?: number;
  /**
   * The extract activity's work without Temporal, one stream: the product's extractToFile for the
   * whole table, then one PUT of that file (absent if it failed).
   */
  staging?: { extractToFileSeconds: number; putSeconds: number; fileBytes: number };
  /** Table size on disk (heap + indexes). */
  tableBytes: number;
  /** Generation time, for information (not part of any figure). */
  generateSeconds: number;
  sql: string;
}

export interface CaseResult {
  rows: number;
  partitions: number;
  partitionRows: number;
  /** The median run (by end-to-end time). */
  run: CaseRun;
  /** Every run of the case, when repeated. */
  runs: CaseRun[];
}

export interface CaseRun {
  ok: boolean;
  error?: string;
  /** Client-side: start request to result. */
  endToEndSeconds: number;
  endToEndRowsPerSecond: number;
  endToEndVsBaseline: number;
  /** From the end of prepare to the completion of the last extract batch, as the table workflow saw it. */
  extractStageSeconds: number;
  extractStageRowsPerSecond: number;
  extractStageVsBaseline: number;
  rowsLoaded: number;
  stagedBytes: number;
  partitionsRun: number;
  worker: WorkerUsage;
  timeline: Timeline;
  /** CPU seconds used during the run, by process tree (absent where a process was not found). */
  cpuSeconds: Record<string, number>;
  /** The same within the extract+stage window. */
  extractStageCpuSeconds: Record<string, number>;
  /** The same while the load activity ran (the emulator's COPY). */
  loadCpuSeconds: Record<string, number>;
  /** The worker's CPU seconds during the run by thread name (main and workflow threads are both `node`). */
  workerThreadCpuSeconds: Record<string, number>;
}

export interface WorkerUsage {
  /** VmHWM of the worker process: the OS's own peak resident set. */
  peakRssBytes: number;
  /** Largest VmRSS sampled every 100 ms. */
  maxSampledRssBytes: number;
  /** Largest sampled VmRSS of the worker plus its child processes (the zstd compressors). */
  maxSampledTreeRssBytes: number;
  /** VmRSS once the worker was ready, before the run. */
  readyRssBytes: number;
  startupSeconds: number;
}

/** Where the run's time went, from the workflow histories' event timestamps. */
export interface Timeline {
  /** pipelineRun: started → closed (server clock). */
  workflowSeconds: number;
  /** Wall time during which at least one activity was running. */
  activitySeconds: number;
  /** workflowSeconds − activitySeconds: no activity running (Temporal scheduling, workflow tasks, child workflows). */
  temporalSeconds: number;
  /** Sum over activities of scheduled → started (waiting in the task queue for a worker slot or a poll). */
  scheduleToStartSeconds: number;
  /** Per activity type: how many ran and the wall time they covered (union of their running spans). */
  activities: Record<string, { count: number; seconds: number; maxSeconds: number }>;
}
