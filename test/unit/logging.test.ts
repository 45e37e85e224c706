/** Structured logs: the JSON line format and the run/table/partition fields taken from activity inputs. */
import { describe, expect, it } from 'vitest';
import { activityLogFields, createLogger, jsonLogLine, logFormatFromEnv, logLevelFromEnv } from '../../src/logging';
import { known } from '../../src/invariant';

describe('activityLogFields', () => {
  const job = { pipeline: 'demo', source: { schema: 'public', name: 'orders' } };
  it('names pipeline, table and partition of an extract', () => {
    expect(activityLogFields([{ job, partition: 7, range: {} }])).toEqual({
      pipeline: 'demo',
      table: 'public.orders',
      partition: 7,
    });
  });
  it('names the run key of a prepare, and the pipeline of a plan', () => {
    expect(activityLogFields([{ job, runKey: 'abc123' }])).toEqual({
      pipeline: 'demo',
      table: 'public.orders',
      runKey: 'abc123',
    });
    expect(activityLogFields([{ pipeline: 'demo', tables: ['public.orders'] }])).toEqual({ pipeline: 'demo' });
  });
  it('ignores inputs it does not know', () => {
    expect(activityLogFields([])).toEqual({});
    expect(activityLogFields(['text'])).toEqual({});
  });
});

describe('JSON lines', () => {
  it('writes time, level, message and fields as one object', () => {
    const line = jsonLogLine({
      level: 'INFO',
      message: 'extractPartition done',
      timestampNanos: 1_700_000_000_123_000_000n,
      meta: { table: 'public.orders', partition: 3, big: 5n, error: new Error('boom') },
    });
    expect(JSON.parse(line)).toEqual({
      time: '2023-11-14T22:13:20.123Z',
      level: 'INFO',
      message: 'extractPartition done',
      table: 'public.orders',
      partition: 3,
      big: '5',
      error: { name: 'Error', message: 'boom' },
    });
  });

  it('is what createLogger writes in json format', () => {
    const lines: string[] = [];
    createLogger('INFO', 'json', (l) => lines.push(l)).info('hello', { pipeline: 'demo' });
    createLogger('INFO', 'json', (l) => lines.push(l)).debug('hidden');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(known(lines[0], 'one line, checked above'))).toMatchObject({
      level: 'INFO',
      message: 'hello',
      pipeline: 'demo',
    });
  });

  it('reads CONDUIT_LOG_FORMAT and CONDUIT_LOG_LEVEL', () => {
    expect(logFormatFromEnv({})).toBe('text');
    expect(logFormatFromEnv({ CONDUIT_LOG_FORMAT: 'JSON' })).toBe('json');
    expect(() => logFormatFromEnv({ CONDUIT_LOG_FORMAT: 'xml' })).toThrow('CONDUIT_LOG_FORMAT must be text or json');
    expect(logLevelFromEnv('INFO', {})).toBe('INFO');
    expect(logLevelFromEnv('INFO', { CONDUIT_LOG_LEVEL: 'debug' })).toBe('DEBUG');
    expect(() => logLevelFromEnv('INFO', { CONDUIT_LOG_LEVEL: 'LOUD' })).toThrow('CONDUIT_LOG_LEVEL must be one of');
  });
});
