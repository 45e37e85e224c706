import type { Client } from 'pg';

export const SOAK_TABLE = { schema: 'soak', name: 'events' };
const TABLE = `"${SOAK_TABLE.schema}"."${SOAK_TABLE.name}"`;

/** The source table: `version` counts each row's updates, so a stale target row shows as a version gap. */
export async function createSoakTable(pg: Client, rows: number): Promise<void> {
  await pg.query(`DROP SCHEMA IF EXISTS "${SOAK_TABLE.schema}" CASCADE`);
  await pg.query(`CREATE SCHEMA "${SOAK_TABLE.schema}"`);
  await pg.query(
    `CREATE TABLE ${TABLE} (id bigint PRIMARY KEY, version int NOT NULL, payload text NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
  );
  await pg.query(`CREATE INDEX ON ${TABLE} (updated_at)`);
  await pg.query(
    `INSERT INTO ${TABLE} (id, version, payload) SELECT g, 1, md5(g::text) FROM generate_series(1, $1) g`,
    [rows],
  );
}

export interface SourceWriter {
  /** Statements committed so far: updates and inserts. */
  counts(): { updated: number; inserted: number };
  stop(): Promise<void>;
}

/**
 * Keeps changing the source while the soak runs: every tick one transaction updates some random
 * rows (a new version, payload and timestamp) and inserts new ones.
 */
export function startSourceWriter(pg: Client, options: { tickMs: number; updates: number; inserts: number }) {
  let updated = 0;
  let inserted = 0;
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await pg.query('BEGIN');
      const update = await pg.query(
        `UPDATE ${TABLE} SET version = version + 1, payload = md5(random()::text), updated_at = clock_timestamp()
          WHERE id IN (SELECT (1 + floor(random() * (SELECT max(id) FROM ${TABLE})))::bigint
                         FROM generate_series(1, $1))`,
        [options.updates],
      );
      const insert = await pg.query(
        `INSERT INTO ${TABLE} (id, version, payload)
           SELECT m + g, 1, md5((m + g)::text) FROM (SELECT max(id) AS m FROM ${TABLE}) t, generate_series(1, $1) g`,
        [options.inserts],
      );
      await pg.query('COMMIT');
      updated += update.rowCount ?? 0;
      inserted += insert.rowCount ?? 0;
      await new Promise((resolve) => setTimeout(resolve, options.tickMs));
    }
  })();
  return {
    counts: () => ({ updated, inserted }),
    stop: async () => {
      stopping.abort();
      await loop;
    },
  } satisfies SourceWriter;
}
