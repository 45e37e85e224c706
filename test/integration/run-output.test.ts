/**
 * What `conduit run --worker` prints (the compiled CLI against the real services) when a table is
 * refused: one line per failure and the summary, never the worker's stack traces; the summary names
 * the worker's log file, which holds them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConduit } from '../support/cli-worker';
import { Harness } from '../support/harness';
import { scratchDir } from '../support/scratch';
import { sharedServices } from '../support/services';

const S = 'runout_src';
const harness = new Harness(sharedServices(), { sourceSchema: S, inProcessWorker: false });
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;
// Removed after the file, with the other scratch folders.
const LOG_DIR = scratchDir('run-output-logs');

beforeAll(async () => {
  await harness.start();
  await harness.pg.query(`CREATE TABLE ${S}.good (id int PRIMARY KEY, v text)`);
  await harness.pg.query(`INSERT INTO ${S}.good SELECT g, 'v' || g FROM generate_series(1, 50) g`);
  // pg_node_tree (PostgreSQL's internal planner trees) has no mapping.
  await harness.pg.query(`CREATE TABLE ${S}.shapes (id int PRIMARY KEY, p pg_node_tree)`);
});
afterAll(async () => {
  await harness.stop();
});

function conduit(args: string[]) {
  return runConduit(args, { ...harness.env, CONDUIT_LOG_DIR: LOG_DIR });
}

describe('conduit run --worker output', () => {
  it('prints one line per failure and names the log file that holds the stack traces', async () => {
    const file = join(scratchDir('run-output'), 'pipeline.yaml');
    writeFileSync(file, JSON.stringify(harness.pipelineDocument(`runout${Date.now().toString(36)}`)));
    const { code, stdout, stderr } = await conduit(['run', '--config', file, '--worker']);
    const output = `${stdout}\n--- stderr ---\n${stderr}`;

    expect(code, output).toBe(1);
    expect(stdout).toMatch(/runout_src\.good\s+\S+\s+succeeded\s+50/);
    expect(stdout).toMatch(/runout_src\.shapes failed: .*"p" \(pg_node_tree\)/);
    expect(output).not.toMatch(STACK_FRAME);
    // One line for the refused activity (the failed table and run workflows are the summary's lines).
    const notices = stdout.split('\n').filter((line) => /^worker (WARN|ERROR):/.test(line));
    expect(notices, output).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^worker WARN: Activity failed \(prepareTable runout_src\.shapes\): .*"p" \(pg_node_tree\)/,
    );

    const logFile = /^worker log: (.+)$/m.exec(stdout)?.[1] ?? '';
    expect(dirname(logFile), output).toBe(LOG_DIR);
    expect(existsSync(logFile)).toBe(true);
    const log = readFileSync(logFile, 'utf8');
    expect(log).toMatch(/\[WARN\] Activity failed/);
    expect(log).toMatch(/"p" \(pg_node_tree\)/);
    expect(log).toMatch(STACK_FRAME);
  });
});
