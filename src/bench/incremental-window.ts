/**
 * `npm run bench -- --incremental-window`: what the late-commit protection costs. A table of
 * `rows` rows with an index on its cursor; a state recorded as a run would (high-water and snapshot
 * xmin in one snapshot); then `changed` rows scattered over the table updated onto later cursors
 * (`updates`: every page holds some), or as many new rows appended (`inserts`: the last pages).
 * The next run's window is read with the product's predicate, without and with the xid arm
 * (lateCommits: lookback / snapshot), alternating: the prepare's row count and the extract's COPY.
 * PostgreSQL only: no Temporal, no destination.
 */
import { cpus, loadavg } from 'node:os';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { to as copyTo } from 'pg-copy-streams';
import { connectPostgres } from '../connectors/postgres/connect';
import { readHighWater, windowPredicate } from '../connectors/postgres/cursor';
import { quoteTable } from '../connectors/postgres/sql';
import type { CursorWindow } from '../shared';
import { postgresSource } from './baseline';
import { machineCpuSeconds } from './procfs';
import { BENCH_TABLE, generateTable, type PostgresEndpoint } from './source';

const CURSOR = 'created_at';

export interface WindowVariant {
  name: 'cursor only' | 'cursor + xid arm';
  /** The plan's top scan node (EXPLAIN). */
  plan: string;
  rows: number;
  countSeconds: number[];
  copySeconds: number[];
  csvBytes: number;
}

export type WindowChanges = 'updates' | 'inserts';

export interface WindowBenchResult {
  rows: number;
  changed: number;
  changes: WindowChanges;
  repeat: number;
  tableBytes: number;
  loadBefore: number[];
  loadAfter: number[];
  /** Share of the machine's 2+ cores busy during the measurements (ours included). */
  machineBusy?: number;
  variants: WindowVariant[];
}

export async function runWindowBench(
  endpoint: PostgresEndpoint,
  options: { rows: number; changed: number; changes: WindowChanges; repeat: number },
  log: (line: string) => void,
): Promise<WindowBenchResult> {
  log(`generating ${options.rows} rows…`);
  const { tableBytes } = await generateTable(endpoint, options.rows);
  const client = await connectPostgres(postgresSource(endpoint));
  try {
    const table = quoteTable(BENCH_TABLE.schema, BENCH_TABLE.name);
    await client.query(`CREATE INDEX ON ${table} (${CURSOR})`);
    const before = await readHighWater(client, BENCH_TABLE, CURSOR);
    const every = Math.max(1, Math.floor(options.rows / options.changed));
    const later = `$1::timestamp + interval '1 second' + (id % 100000) * interval '1 millisecond'`;
    log(`${options.changes === 'updates' ? 'updating' : 'appending a copy of'} every ${every}th row…`);
    if (options.changes === 'updates') {
      await client.query(`UPDATE ${table} SET ${CURSOR} = ${later}, status = 'changed' WHERE id % $2 = 0`, [
        before.high,
        every,
      ]);
    } else {
      const columns = await client.query<{ name: string }>(
        `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ` +
          `AND NOT attisdropped ORDER BY attnum`,
        [table],
      );
      const select = columns.rows.map(({ name }) =>
        name === 'id' ? 'id + $3' : name === CURSOR ? later : name === 'status' ? `'changed'` : name,
      );
      await client.query(`INSERT INTO ${table} SELECT ${select.join(', ')} FROM ${table} WHERE id % $2 = 0`, [
        before.high,
        every,
        options.rows,
      ]);
    }
    await client.query(`VACUUM (ANALYZE) ${table}`);
    await client.query('CHECKPOINT').catch(() => undefined);
    const after = await readHighWater(client, BENCH_TABLE, CURSOR);
    const base: CursorWindow = {
      column: CURSOR,
      sourceType: 'timestamp without time zone',
      ...(before.high === undefined ? {} : { low: before.high }),
      ...(after.high === undefined ? {} : { high: after.high }),
    };
    const windows: [WindowVariant['name'], string][] = [
      ['cursor only', windowPredicate(base)],
      ['cursor + xid arm', windowPredicate({ ...base, xidFrom: before.xmin })],
    ];
    const measured: { where: string; variant: WindowVariant }[] = [];
    for (const [name, where] of windows) {
      const { rows: plan } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT * FROM ${table} WHERE ${where}`,
      );
      const scan = plan.map((p) => p['QUERY PLAN']).find((line) => /Scan/.test(line)) ?? '?';
      const plain = scan.replace(/^[\s>-]*/, '').replace(/ {2}\(cost.*$/, '');
      measured.push({ where, variant: { name, plan: plain, rows: 0, countSeconds: [], copySeconds: [], csvBytes: 0 } });
    }
    const loadBefore = loadavg();
    const busyBefore = machineCpuSeconds();
    const started = Date.now();
    for (let pass = 0; pass < options.repeat; pass++) {
      // Alternate the variants within each pass so both see the same machine.
      for (const { where, variant } of measured) {
        const { name } = variant;
        let at = process.hrtime.bigint();
        const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`);
        variant.countSeconds.push(Number(process.hrtime.bigint() - at) / 1e9);
        variant.rows = Number(rows[0]?.n);
        at = process.hrtime.bigint();
        variant.csvBytes = await copyToNothing(
          client,
          `COPY (SELECT * FROM ${table} WHERE ${where}) TO STDOUT (FORMAT csv)`,
        );
        variant.copySeconds.push(Number(process.hrtime.bigint() - at) / 1e9);
        log(
          `pass ${pass + 1} ${name}: ${variant.rows} rows, count ${variant.countSeconds.at(-1)?.toFixed(3)} s, ` +
            `copy ${variant.copySeconds.at(-1)?.toFixed(3)} s`,
        );
      }
    }
    const busyAfter = machineCpuSeconds();
    const wall = (Date.now() - started) / 1000;
    const cores = cpus().length;
    return {
      ...options,
      tableBytes,
      loadBefore,
      loadAfter: loadavg(),
      ...(busyBefore !== undefined && busyAfter !== undefined
        ? { machineBusy: (busyAfter - busyBefore) / (wall * cores) }
        : {}),
      variants: measured.map((m) => m.variant),
    };
  } finally {
    await client.end();
  }
}

async function copyToNothing(client: Awaited<ReturnType<typeof connectPostgres>>, sql: string): Promise<number> {
  let bytes = 0;
  await pipeline(
    client.query(copyTo(sql)),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback();
      },
    }),
  );
  return bytes;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export function renderWindowMarkdown(result: WindowBenchResult): string {
  const spread = (values: number[]) =>
    `${median(values).toFixed(3)} s (${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)})`;
  const lines = [
    `# Incremental window, ${result.changed} ${result.changes === 'updates' ? 'rows updated' : 'rows appended'} ` +
      `of ${result.rows} (${(result.tableBytes / 1e6).toFixed(0)} MB before)`,
    '',
    `${result.repeat} alternating passes; ` +
      `load average before ${result.loadBefore.map((l) => l.toFixed(2)).join(' ')}, ` +
      `after ${result.loadAfter.map((l) => l.toFixed(2)).join(' ')}` +
      (result.machineBusy === undefined
        ? ''
        : `; machine ${(result.machineBusy * 100).toFixed(0)}% busy (this bench included)`),
    '',
    '| window | plan | rows | count (prepare), median (min–max) | COPY (extract), median (min–max) | CSV MB |',
    '|---|---|---|---|---|---|',
    ...result.variants.map(
      (v) =>
        `| ${v.name} | ${v.plan} | ${v.rows} | ${spread(v.countSeconds)} | ${spread(v.copySeconds)} ` +
        `| ${(v.csvBytes / 1e6).toFixed(0)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
