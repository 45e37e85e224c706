/** `conduit run` progress output: plain lines off a terminal (cadence and shape), a redrawn block on one. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { runProgress, type RunProgress } from '../../src/client';
import { fractionDone, formatBytes, PlainProgress, progressRenderer, TtyProgress } from '../../src/cli/progress';
import type { PipelineStatus, TableProgress } from '../../src/shared';

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
    const [first = '', second = ''] = text().split('\x1b[2A\x1b[J');
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

/** One run of a workflow ID in the fake Temporal below: its parent's run and its query answers. */
interface FakeRun {
  runId: string;
  parentRunId?: string;
  answers: Record<string, unknown>;
}

/**
 * Temporal as runProgress sees it: a handle without a run ID means the ID's latest run (queries and
 * describe), as on the server. Pure logic under test: which run's answer gets shown.
 */
function fakeTemporal(runs: Record<string, FakeRun[]>): Client {
  const getHandle = (workflowId: string, runId?: string) => {
    const all = runs[workflowId] ?? [];
    const run = runId === undefined ? all[all.length - 1] : all.find((r) => r.runId === runId);
    const found = (): FakeRun => {
      if (!run) throw new Error(`workflow ${workflowId} ${runId ?? ''} not found`);
      return run;
    };
    return {
      workflowId,
      describe: () =>
        Promise.resolve().then(() => {
          const r = found();
          return {
            runId: r.runId,
            parentExecution: r.parentRunId ? { workflowId: 'conduit/demo', runId: r.parentRunId } : undefined,
          };
        }),
      query: (query: { name: string }) => Promise.resolve().then(() => structuredClone(found().answers[query.name])),
    };
  };
  return { workflow: { getHandle } } as unknown as Client;
}

describe("a new run's progress", () => {
  const status = (orders: 'preparing' | 'pending', items: 'preparing' | 'pending'): PipelineStatus => ({
    pipeline: 'demo',
    tables: [
      { source: 'public.orders', workflowId: 'conduit/demo/public.orders', state: orders },
      { source: 'public.items', workflowId: 'conduit/demo/public.items', state: items },
    ],
  });
  // The last run's table workflow, which failed: same workflow ID as the new run's.
  const lastRunOrders: FakeRun = {
    runId: 'orders-1',
    parentRunId: 'run-1',
    answers: {
      progress: table('public.orders', { state: 'failed', error: 'column "p" has type point', estimatedRows: 0 }),
    },
  };

  it("shows a table the new run has not started as pending or preparing, not the last run's failure", async () => {
    const temporal = fakeTemporal({
      'conduit/demo': [
        { runId: 'run-1', answers: {} },
        { runId: 'run-2', answers: { status: status('preparing', 'pending') } },
      ],
      'conduit/demo/public.orders': [lastRunOrders],
    });
    const { out, text } = stream(true);
    new TtyProgress(out).update(await runProgress(temporal, 'conduit/demo', 'run-2'), 0);
    expect(text()).not.toMatch(/failed|point/);
    expect(text().split('\n').filter(Boolean)).toEqual([
      'public.orders  [........................]    0%  preparing   0 rows',
      '1 table pending',
    ]);
  });

  it("shows the new run's table from its own workflow once that one started", async () => {
    const temporal = fakeTemporal({
      'conduit/demo': [{ runId: 'run-2', answers: { status: status('preparing', 'preparing') } }],
      'conduit/demo/public.orders': [
        lastRunOrders,
        { runId: 'orders-2', parentRunId: 'run-2', answers: { progress: table('public.orders', { rows: 500 }) } },
      ],
      'conduit/demo/public.items': [
        {
          runId: 'items-1',
          parentRunId: 'run-1',
          answers: { progress: table('public.items', { state: 'succeeded' }) },
        },
      ],
    });
    const progress = await runProgress(temporal, 'conduit/demo');
    expect(progress.tables.map((t) => [t.source, t.state, t.rows])).toEqual([
      ['public.orders', 'extracting', 500],
      ['public.items', 'preparing', 0],
    ]);
  });
});

describe('notes between progress output', () => {
  it('writes a note above the terminal block and redraws the block below it', () => {
    const { out, text } = stream(true);
    const p = new TtyProgress(out);
    p.update(progress(table('public.a', { rows: 0 })), 0);
    p.note('worker WARN: Activity failed (prepareTable public.b): unsupported type');
    const draws = text().split('\x1b[1A\x1b[J');
    expect(draws).toHaveLength(2);
    expect(draws.at(-1)?.split('\n').filter(Boolean)).toEqual([
      'worker WARN: Activity failed (prepareTable public.b): unsupported type',
      'public.a  [........................]    0%  extracting  0/100,000 rows',
    ]);
  });

  it('writes a note as a line of its own off a terminal', () => {
    const { out, lines } = stream();
    new PlainProgress(out).note('worker WARN: x');
    expect(lines()).toEqual(['worker WARN: x']);
  });
});
