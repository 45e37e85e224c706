/** The embedded worker's log: everything to the file, one line per warning for the terminal. */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogTimestamp } from '@temporalio/worker';
import { defaultWorkerLogPath, noticeLine, WorkerLog } from '../../src/cli/worker-log';
import { scratchDir } from '../support/scratch';

function refusal(): Error {
  const error = new Error('"demo"."shapes" has columns of types Conduit cannot carry exactly: "p" point\nsecond line');
  error.stack = `Error: ${error.message}\n    at prepareTable (/app/dist/activities/prepare.js:10:5)`;
  return error;
}

describe('worker log', () => {
  it('writes every entry with its stack trace to the file and one line per warning to the terminal', () => {
    const notices: string[] = [];
    const log = new WorkerLog(join(scratchDir('worker-log'), 'logs', 'run.log'), (line) => notices.push(line));
    const logger = log.logger('INFO', 'text');
    const at = { [LogTimestamp]: 1_700_000_000_000_000_000n };
    logger.info('prepareTable done', { ...at, table: 'demo.orders' });
    logger.warn('Activity failed', { ...at, activityType: 'prepareTable', table: 'demo.shapes', error: refusal() });
    logger.warn('Workflow failed', { ...at, workflowType: 'tableRefresh', error: refusal() });
    logger.debug('not written at INFO', at);

    expect(notices).toEqual([
      'worker WARN: Activity failed (prepareTable demo.shapes): "demo"."shapes" has columns of types Conduit ' +
        'cannot carry exactly: "p" point',
    ]);
    const text = readFileSync(log.path, 'utf8');
    expect(text).toContain('2023-11-14T22:13:20.000Z [INFO] prepareTable done');
    expect(text).toContain('[WARN] Activity failed');
    expect(text).toContain('[WARN] Workflow failed');
    expect(text).toContain('at prepareTable (/app/dist/activities/prepare.js:10:5)');
    expect(text).not.toContain('not written');
  });

  it('keeps a notice to one bounded line', () => {
    const line = noticeLine({ level: 'ERROR', message: 'x'.repeat(500), meta: { partition: 3 } });
    expect(line).toHaveLength(200);
    expect(line.endsWith('…')).toBe(true);
    expect(noticeLine({ level: 'WARN', message: 'retrying', meta: { partition: 0, error: 'timeout\nmore' } })).toBe(
      'worker WARN: retrying (partition 0): timeout',
    );
  });

  it('names the file by time and process, under CONDUIT_LOG_DIR or the OS temp folder', () => {
    const at = new Date('2026-12-03T09:14:47.747Z');
    const name = `run-2026-12-03T09-14-47-747Z-${process.pid}.log`;
    expect(defaultWorkerLogPath(at, {})).toBe(join(tmpdir(), 'conduit-logs', name));
    expect(defaultWorkerLogPath(at, { CONDUIT_LOG_DIR: '/var/log/conduit' })).toBe(join('/var/log/conduit', name));
  });
});
