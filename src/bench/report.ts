/** The benchmark's results as markdown tables. */
import type { BenchResults, CaseResult } from './types';

const MB = 2 ** 20;

function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

function fixed(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '–';
}

function ratio(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}×` : '–';
}

function rowsLabel(rows: number): string {
  if (rows >= 1_000_000 && rows % 1_000_000 === 0) return `${rows / 1_000_000}M`;
  if (rows >= 1_000 && rows % 1_000 === 0) return `${rows / 1_000}K`;
  return String(rows);
}

export function renderMarkdown(results: BenchResults): string {
  const m = results.machine;
  const destinationName =
    results.options.destination === 'duckdb' ? 'a DuckDB file in the worker' : 'the Snowflake emulator';
  const lines: string[] = [];
  lines.push(`# Conduit benchmark, ${results.startedAt}`);
  lines.push('');
  lines.push(
    `${m.cpus} × ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GB, Node ${m.node}, ` +
      `${m.postgres.split(' on ')[0]}; ` +
      `load average ${m.loadAverage.toFixed(2)} at start; workflow bundle ${m.workflowBundle}; services ` +
      `${results.services}; ` +
      `${results.options.repeat} run(s) per case (median shown); worker process: ` +
      `flags \`${results.options.workerNodeFlags.join(' ') || '(none)'}\`, env \`${
        Object.entries(results.options.workerEnv)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ') || '(none)'
      }\`` +
      `${results.options.bundleAtStart ? ', workflows bundled at start' : ''}; staged files ` +
      `${results.options.compression} level 1; destination ${results.options.destination ?? 'snowflake'}.`,
  );
  lines.push('');
  lines.push('## Raw baseline (same SELECT, `COPY … TO STDOUT (FORMAT csv)` → gzip level 1 → nowhere, one stream)');
  lines.push('');
  lines.push(
    '| rows | seconds (best) | rows/s | PostgreSQL alone (COPY TO /dev/null) s | product extractToFile, 1 ' +
      'stream, s | one PUT of that file s | CSV MB | gzip MB | table on disk MB |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const b of results.baselines) {
    lines.push(
      `| ${rowsLabel(b.rows)} | ${fixed(b.seconds)} | ${int(b.rowsPerSecond)} | ` +
        `${b.serverOnlySeconds === undefined ? '–' : fixed(b.serverOnlySeconds)} | ` +
        `${b.staging ? fixed(b.staging.extractToFileSeconds) : '–'} | ` +
        `${b.staging ? fixed(b.staging.putSeconds) : '–'} | ` +
        `${fixed(b.csvBytes / MB, 1)} | ${fixed(b.gzipBytes / MB, 1)} | ${fixed(b.tableBytes / MB, 0)} |`,
    );
  }
  lines.push('');
  lines.push(
    `## Pipeline runs (full_refresh through Temporal, worker in its own process, PostgreSQL, ${destinationName})`,
  );
  lines.push('');
  lines.push(
    '| rows | partitions | end to end s | end-to-end rows/s | × baseline | without the load, ' +
      'rows/s | extract+stage s | extract+stage rows/s | × baseline | worker peak RSS MB | worker + ' +
      'compressors, sampled MB | staged MB | status |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const c of results.cases) {
    const r = c.run;
    const withoutCopy = r.endToEndSeconds - (r.timeline.activities.loadTable?.seconds ?? 0);
    lines.push(
      `| ${rowsLabel(c.rows)} | ${c.partitions} | ${fixed(r.endToEndSeconds)} | ` +
        `${int(r.endToEndRowsPerSecond)} | ${ratio(r.endToEndVsBaseline)} | ` +
        `${int(r.rowsLoaded / withoutCopy)} | ` +
        `${fixed(r.extractStageSeconds)} | ${int(r.extractStageRowsPerSecond)} | ` +
        `${ratio(r.extractStageVsBaseline)} | ` +
        `${fixed(r.worker.peakRssBytes / MB, 0)} | ${fixed(r.worker.maxSampledTreeRssBytes / MB, 0)} | ` +
        `${fixed(r.stagedBytes / MB, 1)} | ` +
        `${r.ok ? 'ok' : `failed: ${(r.error ?? '').replace(/\|/g, '/').slice(0, 120)}`} |`,
    );
  }
  lines.push('');
  lines.push('## Where the time went (workflow history timestamps; CPU seconds from /proc)');
  lines.push('');
  lines.push(
    '| rows | partitions | workflow s | activity running s | Temporal only s | Σ schedule→start s | ' +
      'prepare s | extract s | load s | verify+swap+cleanup s | CPU s, whole run: worker / ' +
      'PostgreSQL / emulator / Temporal | CPU s, extract+stage window: same order | CPU busy in ' +
      'extract+stage |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|');
  for (const c of results.cases) lines.push(timeRow(c, results.machine.cpus));
  lines.push('');
  lines.push(
    '"Temporal only" is the time no activity was running (workflow tasks, child workflow starts, dispatch). ' +
      'CPU is read from /proc every 200 ms for the worker process and the PostgreSQL, emulator and ' +
      'Temporal process trees; ' +
      '"CPU busy" is their sum over the window divided by window × cores; "other processes" is the rest of ' +
      "the machine's busy time in that window (anything else running skews every figure).",
  );
  lines.push('');
  return lines.join('\n');
}

const CPU_TREES = ['worker', 'postgres', 'emulator', 'temporal'];

function cpuText(cpu: Record<string, number>): string {
  return CPU_TREES.map((k) => (cpu[k] === undefined ? '–' : fixed(cpu[k], 1))).join(' / ');
}

function timeRow(c: CaseResult, cores: number): string {
  const t = c.run.timeline;
  const a = (type: string) => t.activities[type]?.seconds ?? 0;
  const window = c.run.extractStageSeconds * cores;
  const ours = CPU_TREES.reduce((sum, k) => sum + (c.run.extractStageCpuSeconds[k] ?? 0), 0);
  const machine = c.run.extractStageCpuSeconds.machine;
  const others =
    machine !== undefined ? ` (+${Math.max(0, Math.round((100 * (machine - ours)) / window))}% other processes)` : '';
  const busy = window > 0 && ours > 0 ? `${Math.round((100 * ours) / window)}%${others}` : '–';
  return (
    `| ${rowsLabel(c.rows)} | ${c.partitions} | ${fixed(t.workflowSeconds)} | ${fixed(t.activitySeconds)} ` +
    `| ${fixed(t.temporalSeconds)} | ${fixed(t.scheduleToStartSeconds)} | ` +
    `${fixed(a('planPipeline') + a('prepareTable'))} | ${fixed(a('extractPartition'))} | ` +
    `${fixed(a('loadTable'))} | ${fixed(a('verifyTable') + a('swapTable') + a('cleanupTable'))} | ` +
    `${cpuText(c.run.cpuSeconds)} | ${cpuText(c.run.extractStageCpuSeconds)} | ${busy} |`
  );
}

export { rowsLabel };
