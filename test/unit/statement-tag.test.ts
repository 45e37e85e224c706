import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/summary';
import {
  currentStatementScope,
  currentStatementTag,
  formatStatementTag,
  MAX_STATEMENT_TAG_CHARS,
  runInStatementScope,
  StatementScope,
  withStatementTag,
} from '../../src/observability/statement-tag';
import { warehouseSecondsOf, withWarehouseTime, type TableResult } from '../../src/shared';

describe('the statement tag (QUERY_TAG)', () => {
  it('is JSON naming app, pipeline, table, run and step, absent fields left out', () => {
    expect(formatStatementTag({ step: 'loadTable', pipeline: 'shop', table: 'public.orders', run: 'abc123' })).toBe(
      '{"app":"conduit","pipeline":"shop","table":"public.orders","run":"abc123","step":"loadTable"}',
    );
    expect(formatStatementTag({ step: 'health' })).toBe('{"app":"conduit","step":"health"}');
  });

  it('stays within Snowflake’s 2,000 characters however long or escaped the names are', () => {
    const long = formatStatementTag({
      step: 'prepareTable',
      pipeline: 'p'.repeat(5000),
      table: `s.${'t'.repeat(900)}`,
    });
    expect(long.length).toBeLessThanOrEqual(MAX_STATEMENT_TAG_CHARS);
    expect(JSON.parse(long)).toMatchObject({ pipeline: `${'p'.repeat(255)}…`, step: 'prepareTable' });
    // Control characters escape to six characters each: the names are cut shorter until the tag fits.
    const escaped = formatStatementTag({ step: '\u0001'.repeat(300), pipeline: '\u0002'.repeat(300) });
    expect(escaped.length).toBeLessThanOrEqual(MAX_STATEMENT_TAG_CHARS);
    // 2 × 256 × 6 characters do not fit: both are cut to 64.
    expect((JSON.parse(escaped) as { step: string }).step).toHaveLength(64);
  });

  it('follows the work of a scope through awaits, and is the unscoped tag outside any', async () => {
    expect(currentStatementTag()).toBe('{"app":"conduit","step":"other"}');
    const seen = await withStatementTag({ step: 'state show', pipeline: 'shop' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return currentStatementTag();
    });
    expect(seen).toBe('{"app":"conduit","pipeline":"shop","step":"state show"}');
    expect(currentStatementScope()).toBeUndefined();
  });

  it("sums the warehouse time of a scope's statements; none timed is no figure", async () => {
    const scope = new StatementScope({ step: 'loadTable' });
    expect(scope.warehouseSeconds()).toBeUndefined();
    await runInStatementScope(scope, async () => {
      currentStatementScope()?.addWarehouseTime(250);
      await Promise.resolve();
      currentStatementScope()?.addWarehouseTime(1250);
    });
    expect(scope.warehouseSeconds()).toBe(1.5);
  });
});

describe("an activity result's warehouse time", () => {
  it('rides on object results only, and reads as 0 from any result without it', () => {
    const result = withWarehouseTime({ filesLoaded: 3 }, 0.25);
    expect(result).toEqual({ filesLoaded: 3, warehouseSeconds: 0.25 });
    expect(warehouseSecondsOf(result)).toBe(0.25);
    expect(withWarehouseTime({ filesLoaded: 3 }, undefined)).toEqual({ filesLoaded: 3 });
    for (const other of [42, 'committed', undefined, null, [1, 2]]) {
      expect(withWarehouseTime(other, 1)).toBe(other);
      expect(warehouseSecondsOf(other)).toBe(0);
    }
    // A result an older worker recorded.
    expect(warehouseSecondsOf({ filesLoaded: 3 })).toBe(0);
  });

  it('shows in the run summary per table, "-" where the destination reported none', () => {
    const table = (source: string, warehouseSeconds?: number): TableResult => ({
      source,
      target: source.toUpperCase(),
      status: 'succeeded',
      rows: 10,
      bytes: 100,
      partitions: 1,
      seconds: 2,
      ...(warehouseSeconds === undefined ? {} : { warehouseSeconds }),
    });
    const lines = formatSummary({ pipeline: 'p', seconds: 3, tables: [table('s.a', 1.234), table('s.b')] }).split('\n');
    expect(lines[0]).toMatch(/rows\/s\s+warehouse s$/);
    expect(lines[1]).toMatch(/\s1\.23$/);
    expect(lines[2]).toMatch(/\s-$/);
  });
});
