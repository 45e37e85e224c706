/**
 * What each chaos case did, appended as JSON lines to test-artifacts/chaos/results.jsonl (kept
 * across runs until deleted), and the markdown table docs/reliability.md is made from.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { known } from '../../src/invariant';

export const CHAOS_RESULTS_DIR = resolve(__dirname, '../../test-artifacts/chaos');
export const CHAOS_RESULTS_FILE = join(CHAOS_RESULTS_DIR, 'results.jsonl');

export interface ChaosResult {
  /** Names the case, e.g. `fault extract.mid-stream`. */
  case: string;
  /** What the run is expected to do: complete, fail clearly, or be cancelled. */
  expected: 'complete' | 'fail' | 'cancel';
  ok: boolean;
  /** Source rows at the end. */
  rows: number;
  rowsLost: number;
  rowsDuplicated: number;
  /** From the fault (kill, outage, signal) to the run's end. */
  recoverySeconds?: number;
  /** Reads of the target while the run went on, and whether each was the old or the new content. */
  readerPolls?: number;
  detail?: string;
}

export interface RecordedChaosResult extends ChaosResult {
  /** The suite run (`npm run chaos` once) it belongs to. */
  suiteRun: string;
  at: string;
}

export function recordChaosResult(suiteRun: string, result: ChaosResult): void {
  mkdirSync(CHAOS_RESULTS_DIR, { recursive: true });
  const line: RecordedChaosResult = { ...result, suiteRun, at: new Date().toISOString() };
  appendFileSync(CHAOS_RESULTS_FILE, `${JSON.stringify(line)}\n`);
}

export function readChaosResults(): RecordedChaosResult[] {
  if (!existsSync(CHAOS_RESULTS_FILE)) return [];
  return readFileSync(CHAOS_RESULTS_FILE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RecordedChaosResult);
}

/** One row per case: tries, passes, rows lost and duplicated over all tries, recovery time range. */
export function renderChaosReport(results: RecordedChaosResult[]): string {
  const runs = [...new Set(results.map((r) => r.suiteRun))];
  const byCase = new Map<string, RecordedChaosResult[]>();
  for (const result of results) byCase.set(result.case, [...(byCase.get(result.case) ?? []), result]);
  const lines = [
    `${results.length} case runs in ${runs.length} suite runs (${runs.join(', ')}).`,
    '',
    '| case | expected | tried | passed | rows per try | rows lost | rows duplicated | recovery s ' +
      '(min–max) | reader polls (min) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, tries] of [...byCase].sort(([a], [b]) => a.localeCompare(b))) {
    const recovery = tries.flatMap((t) => (t.recoverySeconds === undefined ? [] : [t.recoverySeconds]));
    const polls = tries.flatMap((t) => (t.readerPolls === undefined ? [] : [t.readerPolls]));
    const rows = [...new Set(tries.map((t) => t.rows))].join(', ');
    lines.push(
      `| ${name} | ${known(tries[0], 'a case is listed once tried').expected} | ${tries.length} | ` +
        `${tries.filter((t) => t.ok).length} | ${rows} | ` +
        `${sum(tries.map((t) => t.rowsLost))} | ${sum(tries.map((t) => t.rowsDuplicated))} | ` +
        `${recovery.length ? `${Math.min(...recovery).toFixed(0)}–${Math.max(...recovery).toFixed(0)}` : '—'} | ` +
        `${polls.length ? Math.min(...polls) : '—'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
