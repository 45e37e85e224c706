import { describe, expect, it } from 'vitest';
import { partitionFileName } from '../../src/activities/extract';
import type { PreparedTable, SnapshotMode, TableJob } from '../../src/shared';
import { readsConsistently } from '../../src/workflows/extraction';

const job = (snapshot?: SnapshotMode): TableJob => ({
  pipeline: 'p',
  source: { schema: 's', name: 't' },
  target: { schema: 'S', name: 't' },
  mode: 'full_refresh',
  onUnrepresentable: 'fail',
  partitionRows: 1000,
  maxParallelPartitions: 4,
  snapshot,
});
const prepared = (strategy: 'key' | 'ctid'): PreparedTable => ({
  columns: [],
  partitioning: strategy === 'key' ? { strategy, column: 'id', bounds: ['10'] } : { strategy, bounds: [10] },
  estimatedRows: 20,
  shadow: { schema: 'S', name: 'shadow' },
  stage: { schema: 'S', name: 'stage' },
  runMarker: 'm',
});

describe('snapshot mode', () => {
  it('auto shares a snapshot only for several page-range partitions; explicit modes win', () => {
    expect(readsConsistently(job('auto'), prepared('ctid'), 2)).toBe(true);
    expect(readsConsistently(job(undefined), prepared('ctid'), 2)).toBe(true);
    expect(readsConsistently(job('auto'), prepared('ctid'), 1)).toBe(false);
    expect(readsConsistently(job('auto'), prepared('key'), 2)).toBe(false);
    expect(readsConsistently(job('consistent'), prepared('key'), 1)).toBe(true);
    expect(readsConsistently(job('per_partition'), prepared('ctid'), 8)).toBe(false);
  });

  it('names files of a re-established snapshot apart from the first', () => {
    expect(partitionFileName(3, 'gzip')).toBe('part-000003.csv.gz');
    expect(partitionFileName(3, 'zstd', 0)).toBe('part-000003.csv.zst');
    expect(partitionFileName(3, 'zstd', 2)).toBe('part-000003-s2.csv.zst');
  });
});
