/**
 * Late-committing transactions against the real PostgreSQL: transactions of other sessions that
 * stamp their rows with a cursor value below the run's high-water (or at it) and commit after the
 * run was prepared. No look-back anywhere: the next run must load their rows all the same. Every
 * target is compared row by row with the source (merge) or with every version read (append).
 */
import { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableResult } from '../../src/shared';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

const S = 'late_src';
const modes = ['incremental_append', 'incremental_merge'] as const;
type Mode = (typeof modes)[number];
const table = (base: string, mode: Mode) => `${base}_${mode === 'incremental_append' ? 'a' : 'm'}`;
const bases = ['open', 'seq', 'writers', 'edge', 'split'];

const harness = new Harness(sharedServices(), {
  sourceSchema: S,
  pipeline: {
    tables: bases.flatMap((base) =>
      modes.map((mode) => ({ name: `${S}.${table(base, mode)}`, mode, cursor: base === 'seq' ? 'id' : 'at' })),
    ),
    settings: { partitionRows: 1000, maxParallelPartitions: 3 },
  },
});

const clients: PgClient[] = [];
/** A session of its own, as another application writing to the source would have. */
async function session(): Promise<PgClient> {
  const { host, port, user, password, database } = harness.services.postgres;
  const client = new PgClient({ host, port, user, password, database });
  await client.connect();
  await client.query("SET TimeZone = 'UTC'");
  clients.push(client);
  return client;
}

async function sql(text: string, values?: unknown[]): Promise<void> {
  await harness.pg.query(text, values);
}

beforeAll(async () => {
  await harness.start();
  for (const mode of modes) {
    for (const base of ['open', 'writers', 'edge', 'split']) {
      const name = table(base, mode);
      await sql(`CREATE TABLE ${S}.${name} (id int PRIMARY KEY, at timestamptz NOT NULL, v text)`);
      await sql(
        `INSERT INTO ${S}.${name} SELECT g, timestamptz '2026-12-01 00:00:00+00' + g * interval '1 second', ` +
          `'row ' || g FROM generate_series(1, $1) g`,
        [base === 'split' ? 3000 : 100],
      );
    }
    const seq = table('seq', mode);
    await sql(`CREATE TABLE ${S}.${seq} (id bigint PRIMARY KEY, v text)`);
    await sql(`INSERT INTO ${S}.${seq} SELECT g, 'row ' || g FROM generate_series(1, 100) g`);
    for (const base of bases) {
      if (mode === 'incremental_append')
        await sql(`CREATE TABLE ${S}.${table(base, mode)}_expected AS SELECT * FROM ${S}.${table(base, mode)} LIMIT 0`);
    }
  }
});
afterAll(async () => {
  for (const client of clients) await client.end().catch(() => undefined);
  await harness.stop();
});

async function run(base: string): Promise<TableResult[]> {
  const outcome = await harness.runOk(modes.map((mode) => `${S}.${table(base, mode)}`));
  return outcome.result.tables;
}

/** The first run of a table: a full load, checked, which also records the versions append holds. */
async function firstRun(base: string): Promise<void> {
  await run(base);
  await expectLoaded(base);
}

/** Append holds every version it read (key and cursor identify one); merge holds the source. */
async function expectLoaded(base: string): Promise<void> {
  for (const mode of modes) {
    const name = table(base, mode);
    if (mode === 'incremental_merge') {
      await harness.expectSameContent(name);
      continue;
    }
    const key = base === 'seq' ? 'id' : 'id, at';
    await sql(
      `INSERT INTO ${S}.${name}_expected SELECT * FROM ${S}.${name} s WHERE NOT EXISTS ` +
        `(SELECT 1 FROM ${S}.${name}_expected e WHERE (${key}) = (s.${key.replaceAll(', ', ', s.')}))`,
    );
    await harness.expectSameContent(`${name}_expected`, name);
  }
}

describe('a transaction open across a run', () => {
  it('its rows with an old cursor, one written in a subtransaction, arrive in the run after it commits', async () => {
    await firstRun('open');
    const writer = await session();
    await writer.query('BEGIN');
    for (const mode of modes) {
      const name = table('open', mode);
      // Old cursor values: an hour before anything loaded. One row in a savepoint (a subtransaction's xid).
      await writer.query(`INSERT INTO ${S}.${name} VALUES (1001, timestamptz '2026-11-30 23:00:00+00', 'late insert')`);
      await writer.query('SAVEPOINT s');
      await writer.query(
        `INSERT INTO ${S}.${name} VALUES (1002, timestamptz '2026-11-30 23:00:01+00', 'late, savepoint')`,
      );
      await writer.query('RELEASE SAVEPOINT s');
      await writer.query(
        `UPDATE ${S}.${name} SET v = 'late update', at = timestamptz '2026-11-30 23:00:02+00' WHERE id = 7`,
      );
    }
    // Others commit meanwhile: the high-water moves past the open transaction's cursor values.
    for (const mode of modes) {
      await sql(
        `INSERT INTO ${S}.${table('open', mode)} VALUES (101, timestamptz '2026-12-02 00:00:00+00', 'committed')`,
      );
    }
    await run('open');
    await writer.query('COMMIT');
    await run('open');
    await expectLoaded('open');
  });

  it('a transaction that read now() before a run and wrote after it (its xid came later)', async () => {
    const writer = await session();
    await writer.query('BEGIN');
    const { rows } = await writer.query<{ at: string }>('SELECT now()::text AS at');
    const stamp = rows[0]?.at;
    for (const mode of modes) await sql(`INSERT INTO ${S}.${table('open', mode)} VALUES (102, now(), 'committed')`);
    await run('open');
    for (const mode of modes)
      await writer.query(`INSERT INTO ${S}.${table('open', mode)} VALUES (1003, $1, 'stamped before the run')`, [
        stamp,
      ]);
    await writer.query('COMMIT');
    await run('open');
    await expectLoaded('open');
  });

  it('an integer cursor from a sequence: the lower value commits after the higher one was loaded', async () => {
    await firstRun('seq');
    const writer = await session();
    await writer.query('BEGIN');
    for (const mode of modes) await writer.query(`INSERT INTO ${S}.${table('seq', mode)} VALUES (101, 'late')`);
    for (const mode of modes) await sql(`INSERT INTO ${S}.${table('seq', mode)} VALUES (102, 'committed')`);
    await run('seq');
    await writer.query('COMMIT');
    await run('seq');
    await expectLoaded('seq');
  });
});

describe('a window split into key ranges', () => {
  it('every partition reads the late rows of its range', async () => {
    await firstRun('split');
    const writer = await session();
    await writer.query('BEGIN');
    // 1,500 rows over the whole key range get an older cursor in a transaction open across a run.
    for (const mode of modes) {
      await writer.query(
        `UPDATE ${S}.${table('split', mode)} SET v = 'late', at = at - interval '1 day' WHERE id % 2 = 0`,
      );
      await sql(`INSERT INTO ${S}.${table('split', mode)} VALUES (3001, timestamptz '2026-12-02 00:00:00+00', 'new')`);
    }
    await run('split');
    await writer.query('COMMIT');
    const tables = await run('split');
    await expectLoaded('split');
    // More than partitionRows (1,000) rows in the window: read as several key ranges.
    for (const result of tables) expect(result.partitions).toBeGreaterThan(1);
  });
});

describe('ties at the high-water', () => {
  it('rows at the high-water that commit after the run was prepared arrive in the next run', async () => {
    await firstRun('edge');
    const writer = await session();
    await writer.query('BEGIN');
    const high = timestamp(200);
    for (const mode of modes) {
      await sql(`INSERT INTO ${S}.${table('edge', mode)} VALUES (200, $1, 'committed at the high-water')`, [high]);
      await writer.query(`INSERT INTO ${S}.${table('edge', mode)} VALUES (201, $1, 'tie, committed late')`, [high]);
    }
    await run('edge');
    await writer.query('COMMIT');
    await run('edge');
    await expectLoaded('edge');
  });

  it('many writers stamping the same timestamps while runs go on', async () => {
    await firstRun('writers');
    const writers = await Promise.all([1, 2, 3, 4].map(() => session()));
    let runs = 0;
    const written = new AbortController();
    const running = (async () => {
      while (!written.signal.aborted || runs < 3) {
        await run('writers');
        runs++;
      }
    })();
    // Each round: every writer stamps its rows with the round's timestamp and commits a little later.
    // The last round of writer 0 stays open until a whole run has read the others' rows of that
    // round: its rows then sit at the committed high-water, whatever the timing of the rest.
    const rounds = 12;
    let finished = 0;
    await Promise.all(
      writers.map(async (writer, w) => {
        for (let round = 0; round < rounds; round++) {
          await writer.query('BEGIN');
          for (const mode of modes) {
            const name = table('writers', mode);
            const id = 1000 + round * 10 + w;
            await writer.query(`INSERT INTO ${S}.${name} VALUES ($1, $2, $3)`, [id, timestamp(300 + round), `w${w}`]);
            // Merge also sees updates of older rows onto the round's timestamp (each writer its own rows).
            await writer.query(`UPDATE ${S}.${name} SET at = $1, v = $2 WHERE id = $3`, [
              timestamp(300 + round),
              `w${w} round ${round}`,
              1 + w + 4 * round,
            ]);
          }
          await writer.query('SELECT pg_sleep($1)', [0.05 + ((round * 7 + w * 3) % 10) / 20]);
          if (w === 0 && round === rounds - 1) {
            await until(() => finished === writers.length - 1);
            const seen = runs;
            await until(() => runs >= seen + 2);
          }
          await writer.query('COMMIT');
        }
        finished++;
      }),
    );
    written.abort();
    await running;
    await run('writers');
    expect(runs).toBeGreaterThanOrEqual(3);
    await expectLoaded('writers');
  });
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50));
}

function timestamp(second: number): string {
  return new Date(Date.UTC(2026, 11, 1) + second * 1000).toISOString();
}
