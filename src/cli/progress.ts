/**
 * Progress output of `conduit run`: on a terminal a block with one bar per table, redrawn in place;
 * elsewhere (logs, CI, pipes) plain lines — one per table when its state changes, and otherwise at
 * most one per table every `everyMs` (5 s) while it makes progress.
 */
import type { RunProgress } from '../client';
import type { TableProgress } from '../shared';

export interface ProgressRenderer {
  update(progress: RunProgress, now?: number): void;
  /** A line of its own (a worker's warning) that must not break the progress output. */
  note(line: string): void;
}

interface Rate {
  since: number;
  rowsAtStart: number;
}

/** Rows per second of each table since it was first seen, and the ETA from its estimated rows. */
class Rates {
  private readonly rates = new Map<string, Rate>();

  measure(t: TableProgress, now: number): { rowsPerSecond: number; etaSeconds?: number } {
    let rate = this.rates.get(t.source);
    if (!rate) {
      rate = { since: now, rowsAtStart: t.rows };
      this.rates.set(t.source, rate);
    }
    const seconds = (now - rate.since) / 1000;
    const rowsPerSecond = seconds >= 1 ? Math.round((t.rows - rate.rowsAtStart) / seconds) : 0;
    const remaining = t.estimatedRows - t.rows;
    const etaSeconds =
      t.state === 'extracting' && rowsPerSecond > 0 && remaining > 0 ? Math.ceil(remaining / rowsPerSecond) : undefined;
    return { rowsPerSecond, etaSeconds };
  }
}

/** Share done, 0..1: rows against the estimate while extracting, 1 once succeeded. */
export function fractionDone(t: TableProgress): number {
  if (t.state === 'succeeded') return 1;
  if (t.state === 'pending' || t.state === 'preparing') return 0;
  const byRows = t.estimatedRows > 0 ? t.rows / t.estimatedRows : undefined;
  const byPartitions = t.partitions > 0 ? t.partitionsDone / t.partitions : 0;
  return Math.min(0.99, Math.max(0, byRows ?? byPartitions));
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function formatEta(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 60) return `ETA ${seconds}s`;
  if (seconds < 3600) return `ETA ${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `ETA ${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** `1,234 rows`, or `1,234/5,000 rows` with an estimate. */
export function rowsText(t: Pick<TableProgress, 'rows' | 'estimatedRows'>): string {
  const estimate = t.estimatedRows ? `/${t.estimatedRows.toLocaleString('en-US')}` : '';
  return `${t.rows.toLocaleString('en-US')}${estimate} rows`;
}

/** The plain one-line form of a table's progress. */
export function plainLine(t: TableProgress, rowsPerSecond: number, etaSeconds?: number): string {
  const parts = [`${t.source}: ${t.state}`];
  if (t.partitions > 0) parts.push(`${t.partitionsDone}/${t.partitions} partitions`);
  parts.push(rowsText(t));
  if (rowsPerSecond > 0) parts.push(`${rowsPerSecond.toLocaleString('en-US')} rows/s`);
  const eta = formatEta(etaSeconds);
  if (eta) parts.push(eta);
  return parts.join(', ');
}

/** Plain lines: a table's line on every state change, else at most once per `everyMs` while it moves. */
export class PlainProgress implements ProgressRenderer {
  private readonly rates = new Rates();
  private readonly last = new Map<string, { state: string; rows: number; partitionsDone: number; at: number }>();

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly everyMs = 5_000,
  ) {}

  update(progress: RunProgress, now = Date.now()): void {
    for (const t of progress.tables) {
      const { rowsPerSecond, etaSeconds } = this.rates.measure(t, now);
      const last = this.last.get(t.source);
      const changedState = last?.state !== t.state;
      const moved = last !== undefined && (last.rows !== t.rows || last.partitionsDone !== t.partitionsDone);
      if (!changedState && !(moved && now - last.at >= this.everyMs)) continue;
      this.out.write(`${plainLine(t, rowsPerSecond, etaSeconds)}\n`);
      this.last.set(t.source, { state: t.state, rows: t.rows, partitionsDone: t.partitionsDone, at: now });
    }
  }

  note(line: string): void {
    this.out.write(`${line}\n`);
  }
}

const BAR_WIDTH = 24;

/**
 * A block with one bar per table, redrawn in place (cursor up, clear to end of screen); tables not
 * started yet are counted in one line. Notes are written above the block, which is then redrawn.
 */
export class TtyProgress implements ProgressRenderer {
  private readonly rates = new Rates();
  private lines: string[] = [];

  constructor(private readonly out: NodeJS.WritableStream) {}

  update(progress: RunProgress, now = Date.now()): void {
    const pending = progress.status.tables.filter((t) => t.state === 'pending').length;
    if (progress.tables.length === 0 && pending === 0) return;
    const width = Math.max(0, ...progress.tables.map((t) => t.source.length));
    const lines = progress.tables.map((t) => {
      const { rowsPerSecond, etaSeconds } = this.rates.measure(t, now);
      const done = fractionDone(t);
      const filled = Math.round(done * BAR_WIDTH);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
      const percent = `${Math.floor(done * 100)}%`.padStart(4);
      const rate = rowsPerSecond > 0 ? `${rowsPerSecond.toLocaleString('en-US')} rows/s` : '';
      return [t.source.padEnd(width), bar, percent, t.state.padEnd(10), rowsText(t), rate, formatEta(etaSeconds)]
        .filter(Boolean)
        .join('  ');
    });
    if (pending > 0) lines.push(`${pending} ${pending === 1 ? 'table' : 'tables'} pending`);
    this.redraw(lines);
  }

  note(line: string): void {
    this.redraw(this.lines, line);
  }

  private redraw(lines: string[], note?: string): void {
    if (this.lines.length > 0) this.out.write(`\x1b[${this.lines.length}A\x1b[J`);
    this.out.write(`${note === undefined ? '' : `${note}\n`}${lines.map((l) => `${l}\n`).join('')}`);
    this.lines = lines;
  }
}

export function progressRenderer(
  out: NodeJS.WritableStream & { isTTY?: boolean },
  plainEveryMs?: number,
): ProgressRenderer {
  return out.isTTY === true ? new TtyProgress(out) : new PlainProgress(out, plainEveryMs);
}
