import { describe, expect, it } from 'vitest';
import { checkTargetCollisions } from '../../src/activities/plan';
import { duckDbCapabilities } from '../../src/connectors/duckdb/capabilities';
import { snowflakeCapabilities } from '../../src/connectors/snowflake/capabilities';
import type { TableJob } from '../../src/shared';

function job(source: string, target: string): TableJob {
  return {
    pipeline: 'p',
    source: { schema: 'src', name: source },
    target: { schema: 'landing', name: target },
    mode: 'full_refresh',
    onUnrepresentable: 'fail',
    partitionRows: 1000,
    maxParallelPartitions: 1,
  };
}

describe('two sources landing in one target table are refused while planning', () => {
  const jobs = [job('Orders', 'Orders'), job('orders', 'orders')];

  it('Snowflake keeps quoted names exact: "Orders" and "orders" are two tables', () => {
    expect(() => checkTargetCollisions(jobs, snowflakeCapabilities)).not.toThrow();
  });

  it('DuckDB ignores case even in quoted names: the same two are one table there', () => {
    expect(() => checkTargetCollisions(jobs, duckDbCapabilities)).toThrow(
      'source tables src.Orders and src.orders would both load into landing.orders in DuckDB',
    );
  });

  it('the same target name collides everywhere', () => {
    const same = [job('a', 'T'), job('b', 'T')];
    expect(() => checkTargetCollisions(same, snowflakeCapabilities)).toThrow(/both load into landing\.T/);
  });
});
