/** `conduit run` progress output: plain lines off a terminal (cadence and shape), a redrawn block on one. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunProgress } from '../../src/client';
import { fractionDone, formatBytes, PlainProgress, progressRenderer, TtyProgress } from '../../src/cli/progress';
import type { TableProgress } from '../../src/shared';

function stream(isTTY = false): { out: PassThrough & { isTTY?: boolean }; lines: () => string[]; text: () => string } {
  const out: PassThrough & { isTTY?: boolean } = new PassThrough();
  if (isTTY) out.isTTY = true;
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  return { out, lines: () => text.split('\n').filter(Boolean), text: () => text };
}

function table(source: string, fields: Partial<TableProgress>): TableProgress {
  return {
    source,
    state: 'extracting',
    partitions: 10,
    partitionsDone: 0,
    rows: 0,
    bytes: 0,
    estimatedRows: 100_000,
    activeBatches: [],
    ...fields,
  };
}

function progress(...tables: TableProgress[]): RunProgress {
  return {
    status: {
      pipeline: 'demo',
      tables: tables.map((t) => ({ source: t.source, workflowId: `conduit/demo/${t.source}`, state: t.state })),
    },
    tables,
  };
}

describe('plain progress (not a terminal)', () => {
  it('writes a line per table on state changes and at most one per table every 5 s otherwise', () => {
    const { out, lines } = stream();
    const p = new PlainProgress(out);
    const t0 = 1_000_000;
    // Polled every second for 12 s while rows grow: first sight, then only at 5 s and 10 s.
    for (let s = 0; s <= 12; s++) {
      p.update(progress(table('public.a', { rows: s * 5000, partitionsDone: Math.floor(s / 2) })), t0 + s * 1000);
    }
    expect(lines()).toEqual([
      'public.a: extracting, 0/10 partitions, 0/100,000 rows',
      'public.a: extracting, 2/10 partitions, 25,000/100,000 rows, 5,000 rows/s, ETA 15s',
      'public.a: extracting, 5/10 partitions, 50,000/100,000 rows, 5,000 rows/s, ETA 10s',
    ]);
    // A state change is written at once, whatever the time since the last line.
    p.update(progress(table('public.a', { state: 'loading', rows: 100_000, partitionsDone: 10 })), t0 + 12_500);
    expect(lines()[3]).toBe('public.a: loading, 10/10 partitions, 100,000/100,000 rows, 8,000 rows/s');
  });

  it('stays silent while nothing moves, and keeps tables apart', () => {
    const { out, lines } = stream();
    const p = new PlainProgress(out);
    for (let s = 0; s <= 30; s++) {
      p.update(
        progress(
          table('public.a', { rows: 10 }),
          table('public.b', { state: 'preparing', partitions: 0, estimatedRows: 0 }),
        ),
        s * 1000,
      );
    }
    expect(lines()).toEqual(['public.a: extracting, 0/10 partitions, 10/100,000 rows', 'public.b: preparing, 0 rows']);
  });

  it('is chosen when the stream is not a terminal', () => {
    expect(progressRenderer(stream(false).out)).toBeInstanceOf(PlainProgress);
    expect(progressRenderer(stream(true).out)).toBeInstanceOf(TtyProgress);
  });
});

describe('terminal progress', () => {
  it('redraws one bar per table in place', () => {
    const { out, text } = stream(true);
    const p = new TtyProgress(out);
    p.update(
      progress(
        table('public.orders', { rows: 0 }),
        table('public.c', { state: 'succeeded', rows: 20, estimatedRows: 20 }),
      ),
      0,
    );
    p.update(
      progress(
        table('public.orders', { rows: 50_000 }),
        table('public.c', { state: 'succeeded', rows: 20, estimatedRows: 20 }),
      ),
      10_000,
    );
    const [first, second] = text().split('\x1b[2A\x1b[J');
    expect(first.split('\n').filter(Boolean)).toEqual([
      'public.orders  [........................]    0%  extracting  0/100,000 rows',
      'public.c       [########################]  100%  succeeded   20/20 rows',
    ]);
    expect(second.split('\n').filter(Boolean)[0]).toBe(
      'public.orders  [############............]   50%  extracting  50,000/100,000 rows  5,000 rows/s  ETA 10s',
    );
  });

  it('computes the share done and sizes', () => {
    expect(fractionDone(table('t', { rows: 150_000 }))).toBe(0.99);
    expect(fractionDone(table('t', { estimatedRows: 0, partitionsDone: 5 }))).toBe(0.5);
    expect(fractionDone(table('t', { state: 'preparing', rows: 5 }))).toBe(0);
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GB');
  });
});
