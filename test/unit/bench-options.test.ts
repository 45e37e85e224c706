/** `npm run bench -- …` arguments: sizes, partition counts and the codec, and clear refusals. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARTITIONS, DEFAULT_ROWS, LARGE_ROWS, parseBenchArgs, UsageError } from '../../src/bench/options';

describe('bench options', () => {
  it('defaults to 100K, 500K and 1M rows, 1/2/4 partitions, the auto codec', () => {
    const options = parseBenchArgs([]);
    expect(options).toMatchObject({
      rows: DEFAULT_ROWS,
      partitions: DEFAULT_PARTITIONS,
      repeat: 1,
      compression: 'auto',
    });
  });

  it('reads sizes with suffixes, adds 10M with --large, and takes the codec', () => {
    const options = parseBenchArgs([
      '--rows',
      '1M,100K',
      '--large',
      '--partitions=2',
      '--compression',
      'gzip',
      '--repeat',
      '3',
    ]);
    expect(options.rows).toEqual([100_000, 1_000_000, LARGE_ROWS]);
    expect(options.partitions).toEqual([2]);
    expect(options.compression).toBe('gzip');
    expect(options.repeat).toBe(3);
  });

  it('refuses an unknown codec, naming it and the choices', () => {
    expect(() => parseBenchArgs(['--compression', 'lz4'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--compression', 'lz4'])).toThrow(
      '--compression: "lz4" is not one of auto, zstd, gzip',
    );
    expect(() => parseBenchArgs(['--compression'])).toThrow('--compression needs a value');
  });

  it('measures the incremental window on the largest size, a tenth changed unless --changed says', () => {
    expect(parseBenchArgs(['--incremental-window', '--rows', '10M']).incrementalWindow).toEqual({
      changed: 1_000_000,
      changes: 'updates',
    });
    expect(
      parseBenchArgs(['--incremental-window', '--rows', '2M', '--changed', '200K', '--changes', 'inserts'])
        .incrementalWindow,
    ).toEqual({ changed: 200_000, changes: 'inserts' });
    expect(parseBenchArgs([]).incrementalWindow).toBeUndefined();
    expect(() => parseBenchArgs(['--changed', '5'])).toThrow('--changed and --changes are for --incremental-window');
    expect(() => parseBenchArgs(['--incremental-window', '--changes', 'deletes'])).toThrow(
      '--changes: "deletes" is not one of updates, inserts',
    );
  });
});
