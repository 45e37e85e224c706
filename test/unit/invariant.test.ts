import { describe, expect, it } from 'vitest';
import { known } from '../../src/invariant';
import { partitionRanges } from '../../src/shared';
import { mapWithConcurrency } from '../../src/workflows/concurrency';

// Code rewritten for noUncheckedIndexedAccess: the helper, and loops that now carry their own indices.
describe('known', () => {
  it('returns a present value, falsy ones included', () => {
    expect(known(0, 'x')).toBe(0);
    expect(known('', 'x')).toBe('');
    expect(known(null, 'x')).toBeNull();
  });

  it('throws naming the broken invariant', () => {
    expect(() => known([1][3], 'a row per column')).toThrow(/internal error: a row per column .*report it/);
  });
});

describe('partitionRanges', () => {
  it('makes n + 1 ranges of n bounds, unbounded at both ends', () => {
    expect(partitionRanges({ strategy: 'key', column: 'id', bounds: [] })).toEqual([
      { strategy: 'key', column: 'id', from: undefined, to: undefined },
    ]);
    expect(partitionRanges({ strategy: 'ctid', bounds: [10, 20] })).toEqual([
      { strategy: 'ctid', from: undefined, to: 10 },
      { strategy: 'ctid', from: 10, to: 20 },
      { strategy: 'ctid', from: 20, to: undefined },
    ]);
  });
});

describe('mapWithConcurrency', () => {
  it('keeps the input order, runs at most `limit` at once and every item once', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    const results = await mapWithConcurrency([5, 1, 4, 2, 3, 0], 2, async (item, index) => {
      running++;
      peak = Math.max(peak, running);
      seen.push(index);
      await new Promise((resolve) => setTimeout(resolve, item));
      running--;
      return item * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('passes undefined items through and handles an empty list', async () => {
    expect(await mapWithConcurrency([undefined, 1], 4, (item) => Promise.resolve(item))).toEqual([undefined, 1]);
    expect(await mapWithConcurrency([], 3, () => Promise.resolve(1))).toEqual([]);
  });
});
