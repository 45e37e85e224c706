/**
 * The benchmark's machinery on a tiny table (2,000 rows, one case with 2 partitions) against the
 * shared test services: it runs, and its results, markdown and chart are well formed. Correctness
 * only; no timing is asserted (the benchmark itself is `npm run bench`, not part of CI).
 */
import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../../src/bench/benchmark';
import { renderChart } from '../../src/bench/chart';
import { renderMarkdown } from '../../src/bench/report';
import type { BenchResults } from '../../src/bench/types';
import { resolveCodec } from '../../src/connectors/compression';
import { WORKER_PROCESS_SETTINGS } from '../../src/worker';
import { sharedServices } from '../support/services';
import { known } from '../../src/invariant';

describe('benchmark machinery', () => {
  it('runs a tiny case through the real stack and writes well-formed results', async () => {
    const services = sharedServices();
    const results = await runBenchmark(
      {
        temporal: { address: services.temporalAddress, namespace: services.temporalNamespace },
        postgres: services.postgres,
        snowflake: services.snowflake,
      },
      {
        rows: [2_000],
        partitions: [2],
        repeat: 1,
        baselineRepeat: 1,
        workerNodeFlags: [...WORKER_PROCESS_SETTINGS.nodeFlags],
        workerEnv: { ...WORKER_PROCESS_SETTINGS.env },
        bundleAtStart: false,
        compression: resolveCodec('auto'),
        services: 'environment',
        destination: 'snowflake',
      },
    );

    // The JSON file is exactly this object; it must survive serialisation.
    const parsed = JSON.parse(JSON.stringify(results)) as BenchResults;
    expect(parsed.cases).toHaveLength(1);
    const only = known(parsed.cases[0], 'one case, checked above');
    expect(only).toMatchObject({ rows: 2_000, partitions: 2, partitionRows: 1_000 });
    expect(only.runs).toHaveLength(1);
    const run = only.run;
    expect(run.error).toBeUndefined();
    expect(run.ok).toBe(true);
    expect(run.rowsLoaded).toBe(2_000);
    expect(run.partitionsRun).toBe(2);
    expect(run.stagedBytes).toBeGreaterThan(0);
    expect(run.endToEndSeconds).toBeGreaterThan(0);
    expect(run.extractStageSeconds).toBeGreaterThan(0);
    expect(run.extractStageSeconds).toBeLessThan(run.endToEndSeconds);
    expect(run.worker.peakRssBytes).toBeGreaterThanOrEqual(run.worker.readyRssBytes);
    expect(run.worker.maxSampledTreeRssBytes).toBeGreaterThanOrEqual(run.worker.maxSampledRssBytes);
    expect(run.worker.readyRssBytes).toBeGreaterThan(0);
    expect(run.timeline.activities.extractPartition?.count).toBe(2);
    expect(run.timeline.activities.loadTable?.count).toBe(1);
    expect(run.timeline.activitySeconds).toBeLessThanOrEqual(run.timeline.workflowSeconds);
    expect(Number.isFinite(run.endToEndVsBaseline)).toBe(true);
    expect(Number.isFinite(run.extractStageVsBaseline)).toBe(true);

    expect(parsed.baselines).toHaveLength(1);
    const baseline = known(parsed.baselines[0], 'one baseline, checked above');
    expect(baseline.rows).toBe(2_000);
    expect(baseline.seconds).toBeGreaterThan(0);
    expect(baseline.gzipBytes).toBeGreaterThan(0);
    expect(baseline.csvBytes).toBeGreaterThan(baseline.gzipBytes);
    // The baseline streams the very SELECT the pipeline ran, widened to the whole table.
    expect(baseline.sql).toMatch(
      /^COPY \(SELECT .* FROM "demo"\."orders" WHERE true\) TO STDOUT \(FORMAT csv, ENCODING 'UTF8'\)$/,
    );
    expect(baseline.staging?.fileBytes).toBeGreaterThan(0);

    const markdown = renderMarkdown(results);
    expect(markdown).toContain('| 2K | 2 |');
    expect(markdown).not.toMatch(/NaN|undefined/);

    const svg = renderChart(results);
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined/);
    expect(svg).toContain('<polyline');
  });
});
