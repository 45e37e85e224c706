/**
 * The README's (docs/operations.md) Temporal CLI line starts a pipeline run on a running worker:
 * the test takes that exact line from the document, points it at this test's pipeline and task
 * queue and the shared dev server, runs it with the real CLI, waits with `temporal workflow result`
 * and compares the destination with the source.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporalCliPath } from '../../src/dev/temporal';
import type { PipelineRunResult } from '../../src/shared';
import { applyServiceEnv } from '../support/context';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

applyServiceEnv();
const run = promisify(execFile);
const harness = new Harness(sharedServices(), { sourceSchema: 'cli_src' });

beforeAll(() => harness.start());
afterAll(() => harness.stop());

const DOCUMENTED =
  `temporal workflow start --type pipelineRun --task-queue conduit --workflow-id conduit/demo ` +
  `--id-conflict-policy UseExisting --input '{"pipeline":"demo"}'`;

/** The line's words as a shell splits them (single-quoted words lose their quotes). */
function shellWords(line: string): string[] {
  return (line.match(/'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^'(.*)'$/, '$1'));
}

describe('triggering from the Temporal CLI', () => {
  it('documents the exact line', () => {
    const doc = readFileSync(resolve(__dirname, '../../docs/operations.md'), 'utf8');
    expect(doc).toContain(DOCUMENTED);
  });

  it('starts a run on a running worker with the documented line and waits for it', async () => {
    await harness.pg.query('CREATE TABLE cli_src.items (id bigint PRIMARY KEY, name text, price numeric(10,2))');
    await harness.pg.query("INSERT INTO cli_src.items SELECT g, 'item ' || g, g / 4.0 FROM generate_series(1, 2500) g");

    // The documented words with this test's pipeline and task queue; nothing else changes.
    const { name: pipeline, temporal } = harness.config;
    const args = shellWords(DOCUMENTED)
      .slice(1)
      .map((word) =>
        word === 'conduit'
          ? temporal.taskQueue
          : word === 'conduit/demo'
            ? `conduit/${pipeline}`
            : word === '{"pipeline":"demo"}'
              ? JSON.stringify({ pipeline })
              : word,
      );
    expect(args.filter((w) => w.startsWith('--'))).toEqual([
      '--type',
      '--task-queue',
      '--workflow-id',
      '--id-conflict-policy',
      '--input',
    ]);
    const cli = temporalCliPath();
    const address = ['--address', temporal.address, '--namespace', temporal.namespace];
    const env = { ...process.env, TEMPORAL_ADDRESS: temporal.address };

    // Twice at once: the second joins the first's run (UseExisting) instead of failing or starting another.
    const [started, again] = await Promise.all([
      run(cli, [...args, ...address], { env }),
      run(cli, [...args, ...address], { env }),
    ]);
    expect(started.stdout).toContain(`conduit/${pipeline}`);
    const runIdOf = (text: string) => /RunId\s+(\S+)/.exec(text)?.[1];
    expect(runIdOf(started.stdout)).toBeDefined();
    expect(runIdOf(again.stdout)).toBe(runIdOf(started.stdout));

    const waited = await run(
      cli,
      ['workflow', 'result', '--workflow-id', `conduit/${pipeline}`, '--output', 'json', ...address],
      { env },
    );
    const outcome = JSON.parse(waited.stdout) as { status: string; result: PipelineRunResult };
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.result.tables).toEqual([
      expect.objectContaining({ source: 'cli_src.items', status: 'succeeded', rows: 2500 }),
    ]);
    expect(await harness.expectSameContent('items')).toBe(2500);

    // And the documented status query.
    const queried = await run(
      cli,
      ['workflow', 'query', '--workflow-id', `conduit/${pipeline}`, '--type', 'status', '--output', 'json', ...address],
      { env },
    );
    expect(queried.stdout).toContain('"state": "succeeded"');
  });
});
