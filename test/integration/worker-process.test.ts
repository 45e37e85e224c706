/**
 * `node bin/conduit.js worker` as operators run it (the compiled CLI; `npm test` builds dist/ first):
 * start-up health lines without secrets, JSON log lines with run/table/partition fields, and a
 * graceful exit 0 on SIGTERM / SIGINT while idle.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineRun, waitForRun } from '../../src/client';
import type { TemporalSettings } from '../../src/config/pipeline';
import { CliWorkers, writePipelineFile, type CliWorker } from '../support/cli-worker';
import { applyServiceEnv } from '../support/context';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';
import { eventually } from '../support/stub-worker';

applyServiceEnv();
const harness = new Harness(sharedServices(), { sourceSchema: 'wp_src' });
const workers = new CliWorkers();

beforeAll(async () => {
  await harness.start();
  await harness.pg.query('CREATE TABLE wp_src.parts (id bigint PRIMARY KEY, label text)');
  await harness.pg.query("INSERT INTO wp_src.parts SELECT g, 'part ' || g FROM generate_series(1, 2500) g");
});
afterAll(async () => {
  await workers.killAll();
  await harness.stop();
});

interface Worker extends CliWorker {
  temporal: TemporalSettings;
  pipeline: string;
}

/** Starts the CLI worker for a fresh pipeline over the harness's source schema. */
function startWorker(env: NodeJS.ProcessEnv, args: string[] = []): Worker {
  const pipeline = `w${randomUUID().slice(0, 8)}`;
  const document = harness.pipelineDocument(pipeline);
  const worker = workers.start(writePipelineFile(document), { ...harness.env, ...env }, args);
  return { ...worker, temporal: document.temporal as TemporalSettings, pipeline };
}

function exitWithin(worker: Worker, ms: number): Promise<number | null | 'timeout'> {
  return Promise.race([
    worker.exited.then((e) => e.code),
    new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms)),
  ]);
}

describe('conduit worker process', () => {
  it('logs JSON lines with run/table/partition fields and exits 0 on SIGTERM while idle', async () => {
    const worker = startWorker({ CONDUIT_LOG_FORMAT: 'json' });
    await worker.ready();
    const lines = () =>
      worker
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const health = lines().filter((l) => l.health !== undefined);
    expect(health.map((l) => [l.health, l.ok])).toEqual([
      ['temporal', true],
      ['search-attributes', true],
      ['postgres', true],
      ['snowflake', true],
    ]);
    expect(worker.output()).not.toContain(harness.services.postgres.password);

    const handle = await startPipelineRun(harness.client, worker.temporal, { pipeline: worker.pipeline });
    const outcome = await waitForRun(handle);
    expect(outcome.ok).toBe(true);
    const extracts = await eventually(
      async () => {
        const found = lines().filter((l) => l.message === 'extractPartition done');
        return found.length === 3 ? found : undefined;
      },
      10_000,
      'three extract log lines',
    );
    for (const line of extracts) {
      expect(line).toMatchObject({
        level: 'INFO',
        pipeline: worker.pipeline,
        table: 'wp_src.parts',
        activityType: 'extractPartition',
        attempt: 1,
      });
      expect(line.workflowId).toMatch(new RegExp(`^conduit/${worker.pipeline}/wp_src\\.parts/partitions-0$`));
      expect(typeof line.rows).toBe('number');
      expect(line.taskToken).toBeUndefined();
    }
    expect(extracts.map((l) => l.partition).sort()).toEqual([0, 1, 2]);
    expect(extracts.reduce((sum, l) => sum + Number(l.rows), 0)).toBe(2500);

    // Idle now: SIGTERM drains and exits 0.
    worker.child.kill('SIGTERM');
    expect(await exitWithin(worker, 30_000)).toBe(0);
    expect(lines().map((l) => l.message)).toEqual(
      expect.arrayContaining(['SIGTERM: finishing in-flight work, then exiting', 'worker stopped']),
    );
  });

  it('prints health in text, reports an unreachable source without its password, and exits 0 on SIGINT', async () => {
    const wrong = `wrong-${randomUUID()}`;
    const worker = startWorker({ PG_PASSWORD: wrong, CONDUIT_LOG_FORMAT: 'text' }, [
      '--max-activities',
      '3',
      '--shutdown-grace',
      '5',
    ]);
    await worker.ready();
    const text = worker.output();
    const { postgres } = harness.services;
    expect(text).toMatch(/^health: temporal \S+ namespace default: ok server /m);
    expect(text).toMatch(/^health: search-attributes namespace default: ok /m);
    expect(text).toContain(
      `health: postgres (${worker.pipeline}) ` +
        `${postgres.user}@${postgres.host}:${postgres.port}/${postgres.database}: FAILED`,
    );
    expect(text).toMatch(new RegExp(`^health: snowflake \\(${worker.pipeline}\\) .*: ok `, 'm'));
    expect(text).toContain(
      `worker serving ${worker.pipeline} on ${worker.temporal.address} namespace default task queue ` +
        `${worker.temporal.taskQueue} (max 3 activities at once)`,
    );
    expect(text).not.toContain(wrong);

    worker.child.kill('SIGINT');
    expect(await exitWithin(worker, 30_000)).toBe(0);
    expect(worker.output()).toContain('worker stopped');
  });
});
